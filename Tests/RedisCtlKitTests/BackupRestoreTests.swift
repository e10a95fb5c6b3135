import Backup
import ClusterOps
import Foundation
import RESP
import RedisCtlCore
import TestSupport
import Testing
@testable import RedisCtlKit

/// The proof of backup and restore: a cluster holding every data type (collections past their
/// compact encodings, streams with consumer groups, TTLs, a 20 MB value) is backed up to a
/// directory and to S3 (moto) while writers run, and restored into a cluster of another shape;
/// every key and its expiry must come back. A corrupt set is refused before the cluster is touched.
/// The two clusters are shared by the steps, which depend on each other, so they run in one test.
@Suite(.serialized) struct BackupRestoreTests {
    static let sourceSpec = """
    masters: 3
    replicasPerMaster: 1
    redis: {clusterNodeTimeoutMs: 3000, save: [], appendonly: false}
    """
    /// Another shape: four masters, no replicas.
    static let targetSpec = """
    masters: 4
    replicasPerMaster: 0
    redis: {clusterNodeTimeoutMs: 3000, save: [], appendonly: false}
    """

    @Test func backupAndRestoreIntoAnotherShape() async throws {
        let source = try LocalTestEnvironment(spec: Self.sourceSpec)
        let target = try LocalTestEnvironment(spec: Self.targetSpec)
        let moto = try await MotoServerProcess.start()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-backups-\(UUID().uuidString)").path
        do {
            try await run(source: source, target: target, moto: moto, scratch: scratch)
        } catch {
            await cleanUp(source, target, moto, scratch)
            throw error
        }
        await cleanUp(source, target, moto, scratch)
    }

    /// The fill (a 20 MB value among the keys) outruns the replication backlog, so a replica may
    /// still be resyncing; the backup is to find every replica in sync.
    static func waitForReplicasInSync(_ environment: LocalTestEnvironment) async throws {
        let (seeds, password) = try await ScaleLocalTests.access(environment)
        try await poll("every replica to be in sync with its master", until: .after(.seconds(60))) { () async throws -> PollOutcome<Void> in
            for seed in seeds {
                let connection = try await RedisConnection.connect(to: seed, options: .init(password: password))
                let info = try await connection.send("INFO", "replication").string ?? ""
                await connection.close()
                if info.contains("role:slave"), !info.contains("master_link_status:up") || !info.contains("master_sync_in_progress:0") {
                    return .notYet("\(seed) is not in sync yet")
                }
            }
            return .done(())
        }
    }

    func cleanUp(_ source: LocalTestEnvironment, _ target: LocalTestEnvironment, _ moto: MotoServerProcess, _ scratch: String) async {
        moto.stop()
        await source.tearDown()
        await target.tearDown()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func run(source: LocalTestEnvironment, target: LocalTestEnvironment, moto: MotoServerProcess, scratch: String) async throws {
        for environment in [source, target] {
            let deploy = await environment.run { try await DeployCommand().run($0) }
            try #require(deploy.status == 0, "deploy failed: \(deploy.stderr)")
        }
        let sourceClient = try await SlotRoutedTestClient.connect(source)
        let targetClient = try await SlotRoutedTestClient.connect(target)
        try await TestData.fill(sourceClient)
        try await Self.waitForReplicasInSync(source)

        // 1. To a directory, while writers keep writing.
        let directory = scratch + "/dir"
        let writers = ConsistencyWriters(client: sourceClient)
        let writing = Task { try await writers.run() }
        try await writers.waitForProgress()
        let backup = await source.run { try await BackupCommand(to: directory).run($0) }
        writers.stop()
        let written = try await writing.value
        #expect(backup.status == 0, "backup failed: \(backup.stderr)")
        let summary = try backup.result(BackupResult.self)
        #expect(summary.shards.count == 3)
        // Each shard came from its in-sync replica, sparing the masters.
        #expect(summary.shards.allSatisfy { $0.sourceRole == "replica" }, "\(summary.shards)")
        #expect(backup.stderr.contains("pulling from replica"))
        let setID = summary.id
        let setDirectory = directory + "/\(source.name)/\(setID)"
        let manifest = try BackupManifest.decode(Array(try Data(contentsOf: URL(fileURLWithPath: setDirectory + "/manifest.json"))),
                                                 where: "manifest")
        #expect(manifest.shards.map(\.file) == ["shard-0.rdb", "shard-1.rdb", "shard-2.rdb"])
        #expect(SlotRange.count(of: manifest.shards.flatMap(\.slots)) == 16384)
        #expect(manifest.redisVersion.hasPrefix("7."))
        #expect(manifest.shards.allSatisfy { $0.nodes.count == 2 && $0.rdbVersion != nil })
        // Each shard is a consistent snapshot: every writer's keys form an unbroken prefix.
        let snapshot = try await writers.checkSnapshots(manifest: manifest, directory: setDirectory, written: written)
        // The writers went on after the snapshot: the set holds everything else plus their keys up to it.
        let writtenAfterwards = written.values.reduce(0) { $0 + $1 + 1 } - snapshot.values.reduce(0) { $0 + $1 + 1 }
        #expect(manifest.totalKeys == (try await sourceClient.totalKeys()) - Int64(writtenAfterwards))

        // 2. To S3, twice, keeping one set.
        let s3 = S3Store(configuration: try S3Configuration.resolve(bucket: "redis-backups", prefix: "", spec: .init(),
                                                                    environment: moto.environment))
        try await s3.client.createBucket()
        // An old incomplete set (no manifest): the next --keep run removes it.
        try await s3.put(key: "nightly/\(source.name)/20000101T000000Z/shard-0.rdb", bytes: [1, 2, 3])
        await s3.shutdown()
        for _ in 0..<2 {
            let toS3 = await source.run(extraEnvironment: moto.environment) {
                try await BackupCommand(to: "s3://redis-backups/nightly", keep: 1).run($0)
            }
            #expect(toS3.status == 0, "backup to S3 failed: \(toS3.stderr)")
        }
        let listing = S3Store(configuration: try S3Configuration.resolve(bucket: "redis-backups", prefix: "nightly", spec: .init(),
                                                                         environment: moto.environment))
        let sets = BackupCatalog.sets(in: try await listing.list(prefix: ""))
        await listing.shutdown()
        #expect(sets.count == 1 && sets.allSatisfy(\.isComplete), "\(sets.map(\.directory))")

        // 3. A corrupt or truncated set: exit 2, nothing written.
        try await corruptSetsAreRefused(setDirectory: setDirectory, scratch: scratch, target: target, targetClient: targetClient)

        // 4. --flush needs a confirmation: no terminal and no --yes refuses, and nothing is flushed.
        _ = try await targetClient.send("sentinel-key", "SET", "v")
        let unconfirmed = await target.run { try await RedisCtlKit.RestoreCommand(from: directory, flush: true).run($0) }
        #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains("--yes"), "\(unconfirmed.stderr)")
        #expect(try await targetClient.totalKeys() == 1)

        // 5. Into four masters from the directory (flushed first), then again from S3 over the top (--replace).
        // A newer set without a manifest is incomplete and never used.
        let incomplete = directory + "/\(source.name)/29991231T000000Z"
        try FileManager.default.createDirectory(atPath: incomplete, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: incomplete + "/shard-0.rdb"))
        let fromDirectory = await target.run(target.settings(yes: true)) {
            try await RedisCtlKit.RestoreCommand(from: directory, flush: true).run($0)
        }
        #expect(fromDirectory.status == 0, "restore failed: \(fromDirectory.stderr)")
        let report = try fromDirectory.result(RestoreResult.self)
        #expect(report.countsMatch)
        #expect(report.set == setID)
        try await TestData.compare(sourceClient, targetClient, skipping: ["seq:", "last:"])
        try await writers.checkRestored(targetClient, snapshot: snapshot)

        let fromS3 = await target.run(extraEnvironment: moto.environment) {
            try await RedisCtlKit.RestoreCommand(from: "s3://redis-backups/nightly", replace: true).run($0)
        }
        #expect(fromS3.status == 0, "restore from S3 failed: \(fromS3.stderr)")
        #expect(try fromS3.result(RestoreResult.self).countsMatch)
        try await TestData.compare(sourceClient, targetClient)
        await sourceClient.close()
        await targetClient.close()
    }

    func corruptSetsAreRefused(setDirectory: String, scratch: String, target: LocalTestEnvironment,
                               targetClient: SlotRoutedTestClient) async throws {
        let fileManager = FileManager.default
        // Regression tests: a manifest with a shard entry deleted, or whose shards' slots are swapped
        // (every key then lies outside its shard's slots), was restored in part or into the wrong story.
        let expected = ["flip": "shard-1.rdb", "truncate": "shard-1.rdb", "manifest": "manifest",
                        "shard-removed": "are in no shard", "slots-swapped": "outside the slots"]
        for damage in ["flip", "truncate", "manifest", "shard-removed", "slots-swapped"] {
            let copyRoot = scratch + "/\(damage)"
            let copy = copyRoot + "/" + URL(fileURLWithPath: setDirectory).lastPathComponent
            try fileManager.createDirectory(atPath: copyRoot, withIntermediateDirectories: true)
            try fileManager.copyItem(atPath: setDirectory, toPath: copy)
            let shard = URL(fileURLWithPath: copy + "/shard-1.rdb")
            var bytes = try Data(contentsOf: shard)
            switch damage {
            case "flip": bytes[bytes.count / 2] ^= 0xFF
            case "truncate": bytes = bytes.prefix(bytes.count - 100)
            case "manifest": try Data("{\"formatVersion\": 1, \"shards\": ".utf8).write(to: URL(fileURLWithPath: copy + "/manifest.json"))
            default: try Self.editShards(manifest: copy + "/manifest.json") { shards in
                if damage == "shard-removed" {
                    shards.remove(at: 1)
                } else {
                    let first = shards[0]["slots"]
                    shards[0]["slots"] = shards[1]["slots"]
                    shards[1]["slots"] = first
                }
            }
            }
            try bytes.write(to: shard)
            let run = await target.run(target.settings(yes: true)) {
                try await RedisCtlKit.RestoreCommand(from: copy, flush: true).run($0)
            }
            #expect(run.status == 2, "\(damage): \(run.stderr)")
            #expect(run.stderr.contains(expected[damage] ?? damage), "\(damage): \(run.stderr)")
            #expect(try await targetClient.totalKeys() == 0, "\(damage): the cluster was touched")
        }
    }
}

extension BackupRestoreTests {
    /// Rewrites `manifest.json`'s `shards` array as an operator editing the file would.
    static func editShards(manifest path: String, _ edit: (inout [[String: Any]]) -> Void) throws {
        let url = URL(fileURLWithPath: path)
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
              var shards = object["shards"] as? [[String: Any]] else {
            throw GeneralFailure(.operationFailed, "\(path) has no shards array")
        }
        edit(&shards)
        object["shards"] = shards
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }
}

/// Writers that keep extending `seq:{tag}:N` and `last:{tag}` atomically, one tag per master:
/// a consistent snapshot holds exactly `seq:{tag}:1...last`.
final class ConsistencyWriters: @unchecked Sendable {
    let client: SlotRoutedTestClient
    let tags: [String]
    private let lock = NSLock()
    private var stopped = false
    private var counts: [String: Int] = [:]

    init(client: SlotRoutedTestClient) {
        self.client = client
        // One tag per master.
        var chosen: [RedisEndpoint: String] = [:]
        var candidate = 0
        while chosen.count < client.masters.count && candidate < 10_000 {
            let tag = "w\(candidate)"
            if let master = try? client.master(for: "{\(tag)}"), chosen[master] == nil { chosen[master] = tag }
            candidate += 1
        }
        tags = chosen.values.sorted()
    }

    func stop() { lock.withLock { stopped = true } }
    private var isStopped: Bool { lock.withLock { stopped } }

    func waitForProgress() async throws {
        try await poll("writers to start", until: .after(.seconds(30))) {
            let done = self.lock.withLock { self.tags.allSatisfy { (self.counts[$0] ?? 0) >= 20 } }
            return done ? .done(()) : .notYet("writers are slow")
        }
    }

    /// Writes until stopped; returns how far each tag got.
    func run() async throws -> [String: Int] {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for tag in tags {
                group.addTask {
                    let connection = try await self.client.pool.connection(try self.client.master(for: "{\(tag)}"))
                    var index = 0
                    while !self.isStopped {
                        index += 1
                        let replies = try await connection.pipeline([
                            RedisCommand("MULTI"), RedisCommand("SET", "seq:{\(tag)}:\(index)", String(index)),
                            RedisCommand("SET", "last:{\(tag)}", String(index)), RedisCommand("EXEC"),
                        ])
                        for reply in replies { _ = try reply.get() }
                        self.lock.withLock { self.counts[tag] = index }
                    }
                }
            }
            try await group.waitForAll()
        }
        return lock.withLock { counts }
    }

    /// Loads each shard file into a standalone server and checks every writer's keys there; returns
    /// how far each writer had got in the snapshot.
    func checkSnapshots(manifest: BackupManifest, directory: String, written: [String: Int]) async throws -> [String: Int] {
        var snapshot: [String: Int] = [:]
        for shard in manifest.shards {
            let loaded = try await RedisServerProcess.start(extraConfig: ["dir \(directory)", "dbfilename \(shard.file)"])
            defer { loaded.stop() }
            let connection = try await loaded.connect()
            #expect(try await connection.send("DBSIZE").int == shard.keyCount, "shard \(shard.index) key count")
            for tag in tags where shard.slots.contains(where: { $0.contains(KeySlot.slot(for: "{\(tag)}")) }) {
                let last = Int(try await connection.send("GET", "last:{\(tag)}").string ?? "0") ?? 0
                snapshot[tag] = last
                #expect(last > 0 && last <= written[tag] ?? 0, "\(tag): last \(last)")
                let present = try await connection.pipeline((1...(last + 5)).map { RedisCommand("EXISTS", "seq:{\(tag)}:\($0)") })
                let flags = try present.map { try $0.get().int ?? 0 }
                #expect(flags.prefix(last).allSatisfy { $0 == 1 }, "\(tag): a key before \(last) is missing")
                #expect(flags.dropFirst(last).allSatisfy { $0 == 0 }, "\(tag): a key after \(last) is present")
            }
            await connection.close()
        }
        #expect(snapshot.count == tags.count)
        return snapshot
    }

    /// The restored cluster holds each writer's keys exactly up to the snapshot.
    func checkRestored(_ client: SlotRoutedTestClient, snapshot: [String: Int]) async throws {
        for tag in tags {
            let last = snapshot[tag] ?? 0
            #expect(try await client.send("last:{\(tag)}", "GET").string == String(last))
            let present = try await client.run((1...(last + 5)).map { ("{\(tag)}", RedisCommand("EXISTS", "seq:{\(tag)}:\($0)")) })
            let flags = present.map { $0.int ?? 0 }
            #expect(flags.prefix(last).allSatisfy { $0 == 1 } && flags.dropFirst(last).allSatisfy { $0 == 0 }, "\(tag)")
        }
    }
}

/// The data set: every type, small and past its compact encoding, with TTLs and a 20 MB value.
enum TestData {
    static func fill(_ client: SlotRoutedTestClient) async throws {
        var commands: [(key: String, command: RedisCommand)] = []
        for index in 0..<3000 {
            commands.append(("string:\(index)", RedisCommand("SET", "string:\(index)", index % 3 == 0 ? String(index * 7919) : "value-\(index)")))
        }
        for index in 0..<200 {
            commands.append(("ttl:\(index)", RedisCommand("SET", "ttl:\(index)", "expires", "PX", String(3_600_000 + index * 1000))))
        }
        for group in 0..<6 {
            let bigHash = (0..<1000).flatMap { ["field\($0)", "value\($0)"] }
            commands.append(("hash:big:\(group)", RedisCommand("HSET", ["hash:big:\(group)"] + bigHash)))
            commands.append(("hash:small:\(group)", RedisCommand("HSET", "hash:small:\(group)", "a", "1", "b", "2")))
            commands.append(("set:big:\(group)", RedisCommand("SADD", ["set:big:\(group)"] + (0..<1000).map { "member\($0)" })))
            commands.append(("set:ints:\(group)", RedisCommand("SADD", ["set:ints:\(group)"] + (0..<100).map { String($0 * 3) })))
            commands.append(("set:small:\(group)", RedisCommand("SADD", "set:small:\(group)", "x", "y", "z")))
            commands.append(("zset:big:\(group)", RedisCommand("ZADD", ["zset:big:\(group)"] + (0..<1000).flatMap { [String(Double($0) / 3), "m\($0)"] })))
            commands.append(("zset:small:\(group)", RedisCommand("ZADD", "zset:small:\(group)", "1.5", "a", "-2", "b")))
            commands.append(("list:big:\(group)", RedisCommand("RPUSH", ["list:big:\(group)"] + (0..<5000).map { "element-\($0)" })))
            commands.append(("list:small:\(group)", RedisCommand("RPUSH", "list:small:\(group)", "1", "two", "3")))
            commands.append(("hash:ttl:\(group)", RedisCommand("HSET", "hash:ttl:\(group)", "f", "v")))
            commands.append(("hash:ttl:\(group)", RedisCommand("PEXPIRE", "hash:ttl:\(group)", "7200000")))
        }
        _ = try await client.run(commands)
        // Streams with entries, a consumer group and pending entries.
        for group in 0..<3 {
            let key = "stream:\(group)"
            for index in 0..<300 { _ = try await client.send(key, "XADD", "*", "n", String(index), "payload", "p\(index)") }
            _ = try await client.send(routedBy: key, "XGROUP", "CREATE", key, "readers", "0")
            _ = try await client.send(routedBy: key, "XREADGROUP", "GROUP", "readers", "alice", "COUNT", "50", "STREAMS", key, ">")
            _ = try await client.send(routedBy: key, "XGROUP", "CREATE", key, "late", "$")
        }
        // One 20 MB value.
        _ = try await client.send("big:value", "SET", String(repeating: "0123456789ABCDEF", count: 20 * 1024 * 1024 / 16))
    }

    /// Every key of `source` is in `target` with the same DUMP payload (or, where encodings may
    /// legitimately differ, the same content) and the same absolute expiry.
    static func compare(_ source: SlotRoutedTestClient, _ target: SlotRoutedTestClient, skipping prefixes: [String] = []) async throws {
        func kept(_ keys: [String]) -> [String] { keys.filter { key in !prefixes.contains { key.hasPrefix($0) } } }
        let keys = kept(try await source.allKeys())
        #expect(keys.count > 3000)
        #expect(kept(try await target.allKeys()) == keys, "the key sets differ")
        for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
            let sourceDumps = try await source.run(chunk.map { ($0, RedisCommand("DUMP", $0)) })
            let targetDumps = try await target.run(chunk.map { ($0, RedisCommand("DUMP", $0)) })
            let sourceExpiry = try await source.run(chunk.map { ($0, RedisCommand("PEXPIRETIME", $0)) })
            let targetExpiry = try await target.run(chunk.map { ($0, RedisCommand("PEXPIRETIME", $0)) })
            for (index, key) in chunk.enumerated() {
                #expect(sourceExpiry[index] == targetExpiry[index], "\(key): expiry differs")
                if sourceDumps[index] != targetDumps[index] {
                    let expected = try await content(source, key)
                    let actual = try await content(target, key)
                    #expect(expected == actual, "\(key): content differs: \(expected.suffix(600)) vs \(actual.suffix(600))")
                }
            }
        }
    }

    /// A key's value read type by type, in a comparable form.
    static func content(_ client: SlotRoutedTestClient, _ key: String) async throws -> String {
        let type = try await client.send(key, "TYPE").string ?? ""
        let value: RESPValue
        switch type {
        case "string": value = try await client.send(key, "GET")
        case "hash": value = try await client.send(key, "HGETALL")
        case "set": value = try await client.send(key, "SMEMBERS")
        case "zset": value = try await client.send(key, "ZRANGE", "0", "-1", "WITHSCORES")
        case "list": value = try await client.send(key, "LRANGE", "0", "-1")
        case "stream":
            // Entries, and per group its consumers, pending count, last delivered id and pending
            // entries. Not entries-read and lag: Redis 7.0 replicas do not keep them (a group read on
            // the master reaches the replica without them), and the snapshot comes from a replica.
            var parts = ["\(try await client.send(key, "XRANGE", "-", "+"))"]
            for group in try await client.send(routedBy: key, "XINFO", "GROUPS", key).array ?? [] {
                let fields = group.array ?? []
                var info: [String: String] = [:]
                for index in stride(from: 0, to: fields.count - 1, by: 2) {
                    info[fields[index].string ?? ""] = fields[index + 1].string ?? "\(fields[index + 1])"
                }
                let name = info["name"] ?? ""
                parts.append(["name", "consumers", "pending", "last-delivered-id"].map { info[$0] ?? "-" }.joined(separator: ","))
                // Pending entries: id, consumer, delivery count (the idle time moves with the clock).
                let pending = try await client.send(routedBy: key, "XPENDING", key, name, "-", "+", "1000").array ?? []
                parts.append(pending.map { entry in
                    let fields = entry.array ?? []
                    return [0, 1, 3].map { $0 < fields.count ? (fields[$0].string ?? "\(fields[$0])") : "-" }.joined(separator: ":")
                }.joined(separator: ","))
            }
            return "stream " + parts.joined(separator: " ")
        default: return type
        }
        let items = (value.array ?? [value]).map { $0.string ?? "\($0)" }
        return "\(type) " + (type == "set" || type == "hash" ? items.sorted() : items).joined(separator: ",")
    }
}
