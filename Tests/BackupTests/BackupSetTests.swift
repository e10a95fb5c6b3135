import Backup
import ClusterOps
import Foundation
import RedisCtlCore
import RESP
import Testing

@Suite struct BackupSetTests {
    @Test func setIdsSortByTimeThenSuffix() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        let id = BackupSetID.make(at: date)
        #expect(BackupSetID.isValid(id))
        #expect(BackupSetID.make(at: date, existing: [id]) == id + "-1")
        #expect(BackupSetID.make(at: date, existing: [id, id + "-1"]) == id + "-2")
        #expect(BackupSetID.precedes(id + "-2", id + "-10"))
        #expect(BackupSetID.precedes("20261126T200501Z", "20261126T200502Z"))
        #expect(!BackupSetID.isValid("20261126T2005Z") && !BackupSetID.isValid("manifest.json") && !BackupSetID.isValid("20261126T200501Z-"))
        #expect(BackupSetID.iso8601(Date(timeIntervalSince1970: 1_440_938_160)) == "2015-08-30T12:36:00Z")
    }

    func object(_ key: String, _ size: Int64 = 1) -> StoredObject { StoredObject(key: key, size: size) }

    @Test func catalogGroupsSetsAndPruneKeepsTheNewest() {
        let objects = [
            object("c/20260101T000000Z/shard-0.rdb"), object("c/20260101T000000Z/manifest.json"),
            object("c/20260102T000000Z/shard-0.rdb"), // incomplete, older than the new set
            object("c/20260103T000000Z/shard-0.rdb"), object("c/20260103T000000Z/manifest.json"),
            object("c/20260104T000000Z/shard-0.rdb"), object("c/20260104T000000Z/manifest.json"),
            object("c/20260106T000000Z/shard-0.rdb"), // incomplete and newer: maybe still running
            object("other/20260101T000000Z/manifest.json"),
            object("c/notes.txt"), object("README"),
        ]
        let sets = BackupCatalog.sets(in: objects)
        #expect(sets.count == 6)
        #expect(sets.filter { $0.parent == "c" }.map(\.id) == ["20260101T000000Z", "20260102T000000Z", "20260103T000000Z",
                                                                "20260104T000000Z", "20260106T000000Z"])
        let stale = PrunePlanner.plan(sets: sets, parent: "c", keep: 2, current: "20260104T000000Z")
        #expect(stale.map(\.id) == ["20260101T000000Z", "20260102T000000Z"])
        #expect(PrunePlanner.plan(sets: sets, parent: "c", keep: 10, current: "20260104T000000Z").map(\.id) == ["20260102T000000Z"])
        #expect(PrunePlanner.plan(sets: sets, parent: "other", keep: 1, current: "20260101T000000Z").isEmpty)
    }

    func manifest() -> BackupManifest {
        BackupManifest(cluster: "c", id: "20260101T000000Z", redisVersion: "7.0.15", startedAt: "2026-01-01T00:00:00Z",
                       completedAt: "2026-01-01T00:00:01Z", shards: [
                           .init(index: 0, file: "shard-0.rdb", masterId: String(repeating: "a", count: 40),
                                 nodes: [.init(id: String(repeating: "a", count: 40), address: "127.0.0.1:6379", role: "master")],
                                 source: .init(id: String(repeating: "a", count: 40), address: "127.0.0.1:6379", role: "master"),
                                 slots: [SlotRange(0, 16383)], keyCount: 3, size: 10,
                                 sha256: String(repeating: "0", count: 64), rdbVersion: 10),
                       ])
    }

    @Test func manifestRoundTripsAndRejectsDamage() throws {
        let original = manifest()
        let decoded = try BackupManifest.decode(try original.encoded(), where: "m")
        #expect(decoded == original)
        #expect(decoded.totalKeys == 3)
        for damaged in [Array("{".utf8), Array(#"{"formatVersion": 1}"#.utf8)] {
            #expect(throws: GeneralFailure.self) { try BackupManifest.decode(damaged, where: "m") }
        }
        var future = original
        future.formatVersion = 99
        do {
            _ = try BackupManifest.decode(try future.encoded(), where: "m")
            Issue.record("format 99 accepted")
        } catch let error as GeneralFailure {
            #expect(error.category == .cannotRun && error.message.contains("format version 99"))
        }
        var escaping = original
        escaping.shards[0].file = "../etc/passwd"
        #expect(escaping.problem != nil)
    }

    /// Regression test: a manifest whose shards miss slots (one entry deleted) or overlap restored
    /// part of the data silently; both are a corrupt set (exit 2).
    @Test func shardsMustCoverEverySlotExactlyOnce() throws {
        var halves = manifest()
        halves.shards[0].slots = [SlotRange(0, 8191)]
        halves.shards.append(halves.shards[0])
        halves.shards[1].index = 1
        halves.shards[1].file = "shard-1.rdb"
        halves.shards[1].slots = [SlotRange(8192, 16383)]
        #expect(halves.problem == nil)

        var missing = halves
        missing.shards.removeLast()
        do {
            _ = try BackupManifest.decode(try missing.encoded(), where: "m")
            Issue.record("a manifest missing slots 8192-16383 was accepted")
        } catch let error as GeneralFailure {
            #expect(error.category == .cannotRun)
            #expect(error.message.contains("slots 8192-16383 (8192 of 16384) are in no shard"), "\(error.message)")
        }
        var overlapping = halves
        overlapping.shards[1].slots = [SlotRange(8000, 16383)]
        #expect(overlapping.problem?.contains("shards 0 and 1 both list slot 8000") == true, "\(overlapping.problem ?? "accepted")")
    }

    /// A key in a shard file whose slot is not among the shard's manifest slots: the set is refused
    /// while it is verified, before any cluster is contacted.
    @Test func aKeyOutsideItsShardsSlotsIsACorruptSet() async throws {
        let root = try StoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = DirectoryStore(root: root)
        // Keys of the lower and upper half of the slots.
        let keys = (0..<200).map { "key:\($0)" }
        let lower = keys.filter { KeySlot.slot(for: $0) < 8192 }
        let upper = keys.filter { KeySlot.slot(for: $0) >= 8192 }
        func shardFile(_ keys: [String]) -> [UInt8] {
            var builder = RDBFixtureBuilder(version: 10)
            builder.selectDB(0)
            for key in keys { builder.entry(type: 0, key: key, value: RDBFixtureBuilder.string("v")) }
            builder.finish()
            return builder.bytes
        }
        func writeSet(_ id: String, files: [[UInt8]]) async throws -> BackupSetListing {
            var set = manifest()
            set.id = id
            set.shards = []
            for (index, bytes) in files.enumerated() {
                try await store.put(key: "c/\(id)/shard-\(index).rdb", bytes: bytes)
                var shard = manifest().shards[0]
                shard.index = index
                shard.file = "shard-\(index).rdb"
                shard.slots = [index == 0 ? SlotRange(0, 8191) : SlotRange(8192, 16383)]
                shard.size = Int64(bytes.count)
                shard.sha256 = try await BackupSetLoader.hashFile(root + "/c/\(id)/shard-\(index).rdb").1
                set.shards.append(shard)
            }
            try await store.put(key: "c/\(id)/manifest.json", bytes: try set.encoded())
            return try await BackupSetLoader.locate(in: store, id: id, cluster: "c")
        }
        let good = try await writeSet("20260101T000000Z", files: [shardFile(lower), shardFile(upper)])
        let verified = try await BackupSetLoader.fetchAndVerify(good, from: store, temporaryRoot: root, progress: SilentProgress())
        #expect(verified.shards.count == 2)

        let stray = upper[0]
        let bad = try await writeSet("20260102T000000Z", files: [shardFile(lower + [stray]), shardFile(Array(upper.dropFirst()))])
        do {
            _ = try await BackupSetLoader.fetchAndVerify(bad, from: store, temporaryRoot: root, progress: SilentProgress())
            Issue.record("a shard holding a key of another shard's slots was accepted")
        } catch let error as GeneralFailure {
            #expect(error.category == .cannotRun)
            #expect(error.message.contains("shard-0.rdb holds key \"\(stray)\" of slot \(KeySlot.slot(for: stray))"), "\(error.message)")
            #expect(error.message.contains("outside the slots 0-8191"), "\(error.message)")
        }
    }

    @Test func sourcePlannerPrefersAnInSyncReplica() throws {
        let masterLine = "\(String(repeating: "a", count: 40)) 127.0.0.1:6379@16379 master - 0 0 1 connected 0-16383"
        let replicaLine = "\(String(repeating: "b", count: 40)) 127.0.0.2:6379@16379 slave \(String(repeating: "a", count: 40)) 0 0 1 connected"
        let laggingLine = "\(String(repeating: "c", count: 40)) 127.0.0.3:6379@16379 slave \(String(repeating: "a", count: 40)) 0 0 1 connected"
        let topology = try ClusterTopology.parse([masterLine, replicaLine, laggingLine].joined(separator: "\n"))
        let master = PullCandidate(node: topology.nodes[0], info: InfoSections.parse("role:master\r\nmaster_repl_offset:5000000\r\n"))
        let inSync = PullCandidate(node: topology.nodes[1], info: InfoSections.parse(
            "role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:4999000\r\n"))
        let lagging = PullCandidate(node: topology.nodes[2], info: InfoSections.parse(
            "role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:10\r\n"))
        let linkDown = PullCandidate(node: topology.nodes[1], info: InfoSections.parse(
            "role:slave\r\nmaster_link_status:down\r\nslave_repl_offset:5000000\r\n"))
        #expect(PullSourcePlanner.choose(master: master, replicas: [lagging, inSync]).node.id == topology.nodes[1].id)
        let fallback = PullSourcePlanner.choose(master: master, replicas: [lagging, linkDown])
        #expect(fallback.role == "master")
        #expect(fallback.reason.contains("bytes behind") && fallback.reason.contains("link to master is down"))
        #expect(PullSourcePlanner.choose(master: master, replicas: []).reason == "no replica")
        #expect(PullSourcePlanner.choose(master: master, replicas: [PullCandidate(node: topology.nodes[1], info: nil)]).role == "master")
    }
}
