import Backup
import ClusterOps
import Foundation
import NIOCore
import RedisCtlCore
import RESP
import Testing
import TestSupport

/// The restore engine against real servers: the RDB of a one-node cluster holding every data type
/// goes into a three-master cluster, and every key, value and TTL must arrive where its slot lives.
/// The steps share one target cluster and run in order.
@Suite(.serialized) struct RestoreClusterTests {
    static let connector = NodeConnector(options: RedisConnectionOptions(commandTimeout: .seconds(60)), dialer: TCPDialer())

    /// A cluster of `masters` fresh nodes, formed by the project's own initializer.
    static func makeCluster(masters: Int) async throws -> [RedisServerProcess] {
        let servers = try await RedisServerProcess.startMany(count: masters, extraConfig: ["cluster-enabled yes"] + RDBTestData.serverConfig)
        do {
            let candidates = servers.enumerated().map { LayoutCandidate(name: "node-\($0.offset)", host: $0.element.endpoint.host, port: $0.element.endpoint.port) }
            _ = try await ClusterInitializer(connector: connector, progress: SilentProgress())
                .run(candidates: candidates, masters: masters, replicasPerMaster: 0, dryRun: false, deadline: .after(.seconds(60)))
        } catch {
            servers.forEach { $0.stop() }
            throw error
        }
        return servers
    }

    static func topology(_ server: RedisServerProcess) async throws -> ClusterTopology {
        let connection = try await server.connect()
        defer { Task { await connection.close() } }
        return try ClusterTopology.parse(try await connection.send("CLUSTER", "NODES").string ?? "")
    }

    static func dbsizes(_ servers: [RedisServerProcess]) async throws -> [Int64] {
        var sizes: [Int64] = []
        for server in servers {
            let connection = try await server.connect()
            sizes.append(try await connection.send("DBSIZE").int ?? -1)
            await connection.close()
        }
        return sizes
    }

    static func message(_ body: () async throws -> RestoreReport) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch let error as GeneralFailure {
            return error.message
        } catch {
            return "unexpected: \(error)"
        }
    }

    @Test func restoreIntoAClusterOfAnotherShape() async throws {
        // The source: a one-node cluster with every type, LFU counters, short-lived keys.
        let source = try await RedisServerProcess.start(extraConfig: ["cluster-enabled yes", "maxmemory-policy allkeys-lfu"] + RDBTestData.serverConfig)
        defer { source.stop() }
        let targets = try await Self.makeCluster(masters: 3)
        defer { targets.forEach { $0.stop() } }
        let sourceConnection = try await source.connect()
        defer { Task { await sourceConnection.close() } }
        _ = try await sourceConnection.send("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        try await poll("the source node's cluster_state:ok", until: .after(.seconds(20))) {
            let info = InfoSections.parse(try await sourceConnection.send("CLUSTER", "INFO").string ?? "")
            return info.clusterStateIsOK == true ? .done(()) : .notYet(info.clusterState ?? "")
        }
        let shortLived = try await RDBTestData.fill(sourceConnection, smallKeys: 3000, shortTTLms: 3000)
        let rdb = try await RDBTestData.save(source, sourceConnection)
        // The keys as the file has them: the short-lived ones are in it, and expire before step 3.
        var fileKeys: [[UInt8]] = []
        var lastShortExpiry: Int64 = 0
        let scan = try RDBFileReader(path: rdb, payloads: false)
        while let item = try scan.next() {
            guard case .entry(let entry) = item else { continue }
            fileKeys.append(entry.key)
            if shortLived.contains(String(decoding: entry.key, as: UTF8.self)) { lastShortExpiry = max(lastShortExpiry, entry.expiresAtMs ?? 0) }
        }
        #expect(Set(fileKeys).isSuperset(of: shortLived.map { Array($0.utf8) }))
        #expect(lastShortExpiry > 0)
        let sourceKeys = fileKeys.filter { !shortLived.contains(String(decoding: $0, as: UTF8.self)) }
        let sourceValues = try await RDBTestData.dumpsAndExpiries(sourceConnection, sourceKeys)
        let topology = try await Self.topology(targets[0])
        #expect(topology.masters.count == 3)

        let pool = NodeConnectionPool(connector: Self.connector)
        defer { Task { await pool.closeAll() } }
        func restorer(replace: Bool, _ progress: any ProgressReporter = SilentProgress()) -> ClusterRestorer {
            // Small batches, so several are in flight per master.
            ClusterRestorer(pool: pool, options: RestoreOptions(replace: replace, pipelineDepth: 64), progress: progress)
        }

        // 1. A 7.2 file (RDB 11) into Redis 7.0: refused before anything is written.
        let newer = FileManager.default.temporaryDirectory.appendingPathComponent("rdb11-\(UUID().uuidString).rdb")
        defer { try? FileManager.default.removeItem(at: newer) }
        try Data(RDBFixtureTests.makeFixture(large: false).bytes).write(to: newer)
        let versionError = await Self.message { try await restorer(replace: true).restore(rdbFile: newer.path, into: topology, deadline: .after(.seconds(60))) }
        #expect(versionError?.contains("reads RDB up to version 10") == true, "\(versionError ?? "no error")")
        #expect(versionError?.contains("RDB version 11 (Redis 7.2)") == true)
        #expect(try await Self.dbsizes(targets) == [0, 0, 0])

        // 2. One key already in the target: refused, naming it; nothing written.
        let router = try SlotRouter(topology: topology)
        let owner = router.masterIndex(forKey: Array("str:small".utf8))
        let ownerConnection = try await pool.connection(router.endpoint(owner))
        _ = try await ownerConnection.send("SET", "str:small", "already here")
        let busy = await Self.message { try await restorer(replace: false).restore(rdbFile: rdb, into: topology, deadline: .after(.seconds(60))) }
        #expect(busy?.contains("1 key of the backup already exists") == true, "\(busy ?? "no error")")
        #expect(busy?.contains("\"str:small\" on \(router.masters[owner].address)") == true)
        #expect(try await Self.dbsizes(targets).reduce(0, +) == 1)

        // 3. With replace: everything arrives; the short-lived keys have expired by now and are skipped.
        let untilExpired = lastShortExpiry + 50 - Int64(Date().timeIntervalSince1970 * 1000)
        if untilExpired > 0 { try await Task.sleep(for: .milliseconds(untilExpired)) }
        // A second shard, hand-written: 300 strings and the same function library (loaded once).
        var shard = RDBFixtureBuilder(version: 10)
        shard.function(RDBTestData.libraryCode)
        shard.selectDB(0)
        for index in 0..<300 { shard.entry(type: 0, key: "shard2:\(index)", value: RDBFixtureBuilder.string("value \(index)")) }
        shard.finish()
        let shardFile = FileManager.default.temporaryDirectory.appendingPathComponent("shard2-\(UUID().uuidString).rdb")
        defer { try? FileManager.default.removeItem(at: shardFile) }
        try Data(shard.bytes).write(to: shardFile)

        let progress = RecordingProgress()
        let report = try await restorer(replace: true, progress)
            .restore(rdbFiles: [rdb, shardFile.path], into: topology, deadline: .after(.seconds(120)))
        #expect(report.keysExpiredSkipped == shortLived.count)
        #expect(report.keysRestored == sourceKeys.count + 300)
        #expect(report.functionsLoaded == 1)
        #expect(report.checkedForExistingKeys == false)
        #expect(report.keysPerMaster.count == 3 && report.keysPerMaster.values.allSatisfy { $0 > 500 })
        #expect(report.keysPerMaster.values.reduce(0, +) == report.keysRestored)
        #expect(report.files.map(\.keysRead) == [fileKeys.count, 300])
        #expect(report.files.map(\.keysRestored) == [sourceKeys.count, 300])
        let rdbSize = (try FileManager.default.attributesOfItem(atPath: rdb)[.size] as? NSNumber)?.int64Value ?? 0
        #expect(report.bytesRead == rdbSize + Int64(shard.bytes.count))
        let sample = try await pool.connection(router.endpoint(router.masterIndex(forKey: Array("shard2:7".utf8))))
        #expect(try await sample.send("GET", "shard2:7").string == "value 7")
        #expect(progress.messages.last?.hasPrefix("restored \(report.keysRestored) keys into 3 masters") == true)
        #expect(try await Self.dbsizes(targets).reduce(0, +) == Int64(report.keysRestored))

        var sameDump = 0
        for index in router.masters.indices {
            let connection = try await pool.connection(router.endpoint(index))
            let owned = fileKeys.filter { router.masterIndex(forKey: $0) == index }
            let restored = try await RDBTestData.dumpsAndExpiries(connection, owned)
            for key in owned {
                let name = RDBEntry.display(key)
                if shortLived.contains(String(decoding: key, as: UTF8.self)) {
                    #expect(restored[key]?.dump == nil, "\(name) expired and must not be restored")
                    continue
                }
                // DUMP equality, or equal content where only hash table order differs.
                if restored[key]?.dump == sourceValues[key]?.dump {
                    sameDump += 1
                } else {
                    let expected = try await RDBTestData.content(sourceConnection, key)
                    #expect(try await RDBTestData.content(connection, key) == expected, "value of \(name)")
                }
                #expect(restored[key]?.expiry == sourceValues[key]?.expiry, "expiry of \(name)")
            }
        }
        // Only the three hashtable-encoded sets and hashes may differ in DUMP.
        #expect(sameDump >= sourceKeys.count - 3)
        for index in router.masters.indices {
            let connection = try await pool.connection(router.endpoint(index))
            let reply = try await connection.send("FCALL", "rdb_echo", "0", "hello")
            #expect(reply.string == "hello", "function on master \(index)")
        }

        // 4. Everything exists now: without replace the restore refuses and names the count.
        let all = await Self.message { try await restorer(replace: false).restore(rdbFile: rdb, into: topology, deadline: .after(.seconds(60))) }
        #expect(all?.contains("\(sourceKeys.count) keys of the backup already exist") == true, "\(all ?? "no error")")

        // 5. LRU idle times: strings start fresh unless access stats are kept (RESTORE ... IDLETIME).
        var idle = RDBFixtureBuilder(version: 10)
        idle.selectDB(0)
        idle.idle(50_000)
        idle.entry(type: 0, key: "idle:string", value: RDBFixtureBuilder.string("cold"))
        idle.finish()
        let idleFile = FileManager.default.temporaryDirectory.appendingPathComponent("idle-\(UUID().uuidString).rdb")
        defer { try? FileManager.default.removeItem(at: idleFile) }
        try Data(idle.bytes).write(to: idleFile)
        let idleOwner = try await pool.connection(router.endpoint(router.masterIndex(forKey: Array("idle:string".utf8))))
        for keep in [false, true] {
            let restorer = ClusterRestorer(pool: pool, options: RestoreOptions(replace: true, keepAccessStats: keep), progress: SilentProgress())
            _ = try await restorer.restore(rdbFile: idleFile.path, into: topology, deadline: .after(.seconds(60)))
            let seconds = try await idleOwner.send("OBJECT", "IDLETIME", "idle:string").int ?? -1
            #expect(try await idleOwner.send("GET", "idle:string").string == "cold")
            #expect(keep ? seconds >= 50_000 : (0..<50_000).contains(seconds), "idle time \(seconds) with keepAccessStats \(keep)")
        }
    }

    @Test func unassignedSlotsAreRefused() throws {
        let line = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 myself,master - 0 1426238317239 4 connected 0-16000"
        let topology = try ClusterTopology.parse(line)
        #expect {
            _ = try SlotRouter(topology: topology)
        } throws: { error in
            (error as? GeneralFailure)?.message.contains("no master for slots 16001-16383") == true
        }
    }

    @Test func restoreReadsUpToTheRDBVersionOfItsRedis() {
        #expect(RedisRDBSupport.newestReadableVersion(redisVersion: "7.0.15") == 10)
        #expect(RedisRDBSupport.newestReadableVersion(redisVersion: "7.2.4") == 11)
        #expect(RedisRDBSupport.newestReadableVersion(redisVersion: "7.4.0") == nil)
    }
}
