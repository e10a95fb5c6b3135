import Backup
import Foundation
import NIOCore
import RedisCtlCore
import Spec
import Testing
import TestSupport

/// The same store contract, against a directory and against a real S3 protocol server (moto).
@Suite struct StoreTests {
    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        var state = UInt32(seed) &+ 1
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Streams `content` in uneven chunks through a writer.
    static func stream(_ content: [UInt8], to store: any BackupStore, key: String) async throws -> Int64 {
        let writer = try await store.makeWriter(key: key)
        var offset = 0
        var size = 1
        while offset < content.count {
            let end = min(content.count, offset + size)
            try await writer.write(ByteBuffer(bytes: content[offset..<end]))
            offset = end
            size = size * 3 + 17
        }
        return try await writer.finish()
    }

    /// The contract every store keeps.
    static func exercise(_ store: any BackupStore, large: Int) async throws {
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let big = bytes(large, seed: 1)
        #expect(try await stream(big, to: store, key: "c/20260101T000000Z/shard-0.rdb") == Int64(large))
        #expect(try await stream([], to: store, key: "c/20260101T000000Z/empty.rdb") == 0)
        try await store.put(key: "c/20260101T000000Z/manifest.json", bytes: Array("{}".utf8))
        try await store.put(key: "c/20260102T000000Z/shard-0.rdb", bytes: [1, 2, 3])
        try await store.put(key: "d/other", bytes: [9])

        let listed = try await store.list(prefix: "c/")
        #expect(listed.map(\.key) == ["c/20260101T000000Z/empty.rdb", "c/20260101T000000Z/manifest.json",
                                      "c/20260101T000000Z/shard-0.rdb", "c/20260102T000000Z/shard-0.rdb"])
        #expect(listed.first { $0.key.hasSuffix("0Z/shard-0.rdb") }?.size == Int64(large))
        #expect(try await store.list(prefix: "").count == 5)

        #expect(try await store.get(key: "c/20260101T000000Z/manifest.json", maxSize: 100) == Array("{}".utf8))
        #expect(try await store.get(key: "c/nothing.json", maxSize: 100) == nil)
        await #expect(throws: GeneralFailure.self) { _ = try await store.get(key: "c/20260101T000000Z/shard-0.rdb", maxSize: 10) }

        let downloaded = scratch + "/shard.rdb"
        try await store.download(key: "c/20260101T000000Z/shard-0.rdb", toFile: downloaded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: downloaded)) == Data(big))
        let (size, digest) = try await BackupSetLoader.hashFile(downloaded)
        #expect(size == Int64(large) && digest.count == 64)

        // An aborted write leaves nothing under its key.
        let aborted = try await store.makeWriter(key: "c/20260103T000000Z/shard-0.rdb")
        try await aborted.write(ByteBuffer(bytes: bytes(100, seed: 2)))
        await aborted.abort()
        #expect(try await store.list(prefix: "c/20260103T000000Z").isEmpty)

        try await store.delete(keys: ["c/20260101T000000Z/shard-0.rdb", "c/20260101T000000Z/manifest.json",
                                      "c/20260101T000000Z/empty.rdb", "c/never-existed"])
        #expect(try await store.list(prefix: "c/").map(\.key) == ["c/20260102T000000Z/shard-0.rdb"])
    }

    @Test func directoryStore() async throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = DirectoryStore(root: root)
        try await Self.exercise(store, large: 3 << 20)
        // Deleting a set's files removes its emptied directory too.
        #expect(!FileManager.default.fileExists(atPath: root + "/c/20260101T000000Z"))
        #expect(store.localFile(for: "c/20260102T000000Z/shard-0.rdb") == root + "/c/20260102T000000Z/shard-0.rdb")
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/c/20260102T000000Z/shard-0.rdb")[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
    }

    @Test func s3StoreAgainstMoto() async throws {
        let moto = try await MotoServerProcess.start()
        defer { moto.stop() }
        var environment = moto.environment
        environment["REDISCTL_S3_PART_SIZE_MB"] = "5"
        let configuration = try S3Configuration.resolve(bucket: "backups", prefix: "team/redis", spec: S3Spec(),
                                                        environment: environment)
        #expect(configuration.partSize == 5 << 20)
        let store = S3Store(configuration: configuration)
        do {
            try await store.client.createBucket()
            // 12 MiB: a multipart upload of three streamed parts (5 + 5 + 2).
            try await Self.exercise(store, large: 12 << 20)
            #expect(store.location == "s3://backups/team/redis")
            // Listing follows continuation tokens: 25 objects in pages of 10.
            let keys = (0..<25).map { "many/k\($0)" }
            for key in keys { try await store.put(key: key, bytes: [1]) }
            let paged = try await store.client.listObjects(prefix: "team/redis/many/", pageSize: 10)
            #expect(Set(paged.map(\.key)) == Set(keys.map { "team/redis/" + $0 }))
            #expect(try await store.list(prefix: "many/").count == 25)
            try await store.delete(keys: keys)
            #expect(try await store.list(prefix: "many/").isEmpty)

            // Errors are one line naming the operation, the object and what to do.
            let missing = S3Store(configuration: try S3Configuration.resolve(bucket: "no-such-bucket", prefix: "", spec: S3Spec(),
                                                                             environment: moto.environment))
            do {
                try await missing.put(key: "k", bytes: [1])
                Issue.record("a PUT into a missing bucket succeeded")
            } catch let error as GeneralFailure {
                #expect(error.category == .cannotRun)
                #expect(error.message.contains("NoSuchBucket") && error.message.contains("s3://no-such-bucket/k"))
                #expect(!error.message.contains("\n"))
            }
            await missing.shutdown()

            // Nothing listening: exit 2, naming the endpoint.
            let closedPort = try MotoServerProcess.freePort()
            var unreachableEnvironment = moto.environment
            unreachableEnvironment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:\(closedPort)"
            let unreachable = S3Store(configuration: try S3Configuration.resolve(bucket: "b", prefix: "", spec: S3Spec(),
                                                                                 environment: unreachableEnvironment))
            do {
                _ = try await unreachable.list(prefix: "")
                Issue.record("listing an unreachable endpoint succeeded")
            } catch let error as GeneralFailure {
                #expect(error.category == .cannotRun && error.message.contains("127.0.0.1:\(closedPort)"), "\(error.message)")
            }
            await unreachable.shutdown()
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }
}
