import Backup
import Foundation
import NIOCore
import RedisCtlCore
import RESP
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Pulls real RDBs from redis-server 7.0 in both transfer forms and proves each is the node's data:
/// a fresh server that loads the file holds the same keys with the same DUMP payloads.
@Suite struct RDBPullerTests {
    static let password = "pull-test-password"

    static func fill(_ connection: RedisConnection) async throws {
        var commands: [RedisCommand] = (0..<2000).map { RedisCommand("SET", "key:\($0)", "value-\($0)") }
        commands += (0..<300).map { RedisCommand("HSET", "hash", "field\($0)", "v\($0)") }
        commands += (0..<300).map { RedisCommand("RPUSH", "list", "item\($0)") }
        commands += [RedisCommand("ZADD", "zset", "1", "a", "2", "b"), RedisCommand("SADD", "set", "x", "y"),
                     RedisCommand("SET", "ttl", "v", "EX", "1000"), RedisCommand("XADD", "stream", "*", "f", "v"),
                     RedisCommand("SET", "big", String(repeating: "0123456789abcdef", count: 200_000))]
        for result in try await connection.pipeline(commands) { _ = try result.get() }
    }

    /// Every key's DUMP payload.
    static func dumps(_ connection: RedisConnection) async throws -> [[UInt8]: [UInt8]?] {
        try await RDBTestData.dumpsAndExpiries(connection, RDBTestData.keys(connection)).mapValues(\.dump)
    }

    func pullAndCheck(diskless: Bool) async throws {
        let source = try await RedisServerProcess.start(
            extraConfig: ["repl-diskless-sync \(diskless ? "yes" : "no")", "repl-diskless-sync-delay 0"],
            password: Self.password)
        defer { source.stop() }
        let connection = try await source.connect(options: .init(password: Self.password))
        try await Self.fill(connection)
        let expected = try await Self.dumps(connection)
        await connection.close()

        let root = try StoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = DirectoryStore(root: root)
        let writer = try await store.makeWriter(key: "shard.rdb")
        let puller = RDBPuller(options: .init(password: Self.password))
        let pulled = try await puller.pull(from: source.endpoint, into: writer, deadline: .after(.seconds(60)))
        #expect(try await writer.finish() == pulled.size)
        #expect(pulled.form == (diskless ? .eofMark : .length))
        #expect(pulled.keyCount == Int64(expected.count))
        #expect(pulled.rdbVersion == 10)
        let path = try #require(store.localFile(for: "shard.rdb"))
        let (size, digest) = try await BackupSetLoader.hashFile(path)
        #expect(size == pulled.size && digest == pulled.sha256)
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(file.prefix(9) == Data("REDIS0010".utf8))
        #expect(file.dropLast(8).last == 0xFF)

        // The file is a loadable snapshot of exactly that data.
        let loaded = try await RedisServerProcess.start(extraConfig: ["dir \(root)", "dbfilename shard.rdb"])
        defer { loaded.stop() }
        let check = try await loaded.connect()
        let restored = try await Self.dumps(check)
        // A hashtable-encoded set or hash dumps its members in the order of a per-process random
        // hash seed: where the payloads differ, the contents must not.
        var differing: [String] = []
        let original = try await source.connect(options: .init(password: Self.password))
        for key in expected.keys where restored[key] != expected[key] {
            if try await RDBTestData.content(original, key) != RDBTestData.content(check, key) {
                differing.append(String(decoding: key, as: UTF8.self))
            }
        }
        await original.close()
        #expect(restored.count == expected.count && differing.isEmpty,
                "loaded \(restored.count) of \(expected.count) keys; differing: \(differing.prefix(5))")
        await check.close()
    }

    @Test func disklessSyncGivesTheEndMarkForm() async throws {
        try await pullAndCheck(diskless: true)
    }

    @Test func diskSyncGivesTheLengthForm() async throws {
        try await pullAndCheck(diskless: false)
    }

    @Test func refusedPasswordCannotRun() async throws {
        let source = try await RedisServerProcess.start(password: Self.password)
        defer { source.stop() }
        let root = try StoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try await DirectoryStore(root: root).makeWriter(key: "x.rdb")
        do {
            _ = try await RDBPuller(options: .init(password: "wrong")).pull(from: source.endpoint, into: writer, deadline: .after(.seconds(20)))
            Issue.record("a wrong password pulled an RDB")
        } catch let error as GeneralFailure {
            #expect(error.category == .cannotRun)
            #expect(error.message.contains(source.endpoint.description) && error.message.contains("AUTH"))
        }
        await writer.abort()
    }

    /// A node that accepts the connection but never answers: the idle timeout ends the pull.
    @Test func silentNodeHitsTheIdleTimeout() async throws {
        let source = try await RedisServerProcess.start()
        defer {
            kill(source.pid, SIGCONT)
            source.stop()
        }
        kill(source.pid, SIGSTOP)
        let root = try StoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try await DirectoryStore(root: root).makeWriter(key: "x.rdb")
        do {
            _ = try await RDBPuller(options: .init(), idleTimeout: .seconds(1)).pull(from: source.endpoint, into: writer,
                                                                                    deadline: .after(.seconds(60)))
            Issue.record("a silent node gave an RDB")
        } catch let error as GeneralFailure {
            #expect(error.message.contains("sent nothing for 1s"), "\(error.message)")
        }
        await writer.abort()
    }

    /// A master that keeps the transfer waiting (keepalive newlines only) is cut off at the deadline.
    @Test func deadlineBoundsThePull() async throws {
        let source = try await RedisServerProcess.start(extraConfig: [
            "repl-diskless-sync yes", "repl-diskless-sync-delay 30", "repl-diskless-sync-max-replicas 0"])
        defer { source.stop() }
        let root = try StoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try await DirectoryStore(root: root).makeWriter(key: "x.rdb")
        do {
            _ = try await RDBPuller(options: .init(), idleTimeout: .seconds(20)).pull(from: source.endpoint, into: writer,
                                                                                     deadline: .after(.seconds(2)))
            Issue.record("the pull outlived its deadline")
        } catch let error as GeneralFailure {
            #expect(error.message.contains("deadline"), "\(error.message)")
        }
        await writer.abort()
    }
}
