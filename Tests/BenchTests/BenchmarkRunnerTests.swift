import ClusterOps
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RedisCtlCore
import RESP
import Testing
import TestSupport
@testable import Bench

/// A dialer that counts its dials and passes them to TCP: proves every benchmark connection goes
/// through the platform's dialer (port-forward tunnels use the same path).
final class CountingDialer: RedisDialer {
    let dials = NIOLockedValueBox(0)

    func dial(_ endpoint: RedisEndpoint, connectTimeout: Duration, eventLoopGroup: any EventLoopGroup,
              configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) async throws -> any Channel {
        dials.withLockedValue { $0 += 1 }
        return try await TCPDialer().dial(endpoint, connectTimeout: connectTimeout, eventLoopGroup: eventLoopGroup, configure: configure)
    }
}

func settings(_ body: (inout BenchmarkRequest) -> Void) throws -> BenchmarkSettings {
    var request = BenchmarkRequest()
    request.clients = 8
    request.requests = 4000
    body(&request)
    return try request.validated(defaultThreads: 2)
}

/// Against one plain redis-server (cluster mode off).
@Suite(.serialized) struct StandaloneBenchmarkTests {
    @Test func everyTestRunsAndEveryReplyIsChecked() async throws {
        let server = try await RedisServerProcess.start(password: "pw")
        defer { server.stop() }
        let dialer = CountingDialer()
        let connector = NodeConnector(options: RedisConnectionOptions(password: "pw"), dialer: dialer)
        let all = BenchOperation.allCases.map(\.rawValue).joined(separator: ",")
        let report = try await BenchmarkRunner(settings: try settings { $0.tests = all; $0.keyspace = 500; $0.pipeline = 4 },
                                               connector: connector).run(seeds: [server.endpoint])
        #expect(report.target.mode == "standalone")
        #expect(report.target.masters == [server.endpoint.description])
        #expect(report.tests.map(\.name) == ["PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD",
                                             "HSET", "SPOP", "ZADD", "MSET (10 keys)"])
        for test in report.tests {
            #expect(test.requests == 4000, "\(test.name)")
            #expect(test.errors.isEmpty, "\(test.name): \(test.errors)")
            #expect(test.latency.count == 4000)
            #expect(test.opsPerSecond > 0)
        }
        // Discovery's connection, then 8 clients x one master: every connection through the dialer.
        #expect(dialer.dials.withLockedValue { $0 } == 1 + 8)
        let connection = try await server.connect()
        defer { Task { await connection.close() } }
        #expect(try await connection.send("GET", "key:{000000000007}:3").string == "007")
        #expect((try await connection.send("DBSIZE").int ?? 0) > 500)
    }

    /// Unique keys per client (sequential pattern: client c of 8 owns the keys c, c+8, ...): every
    /// GET must return exactly what SET wrote; a key holding something else is reported as wrong-value.
    @Test func getReturnsWhatSetWroteAndWrongValuesAreCaught() async throws {
        let server = try await RedisServerProcess.start(password: "pw")
        defer { server.stop() }
        let connector = NodeConnector(options: RedisConnectionOptions(password: "pw"), dialer: TCPDialer())
        // 4000 SETs over 1000 keys: every client writes each of its 125 keys before the GETs read them.
        let unique = try settings { $0.keyspace = 1000; $0.keyPattern = "sequential"; $0.dataSize = 20; $0.pipeline = 3 }
        let report = try await BenchmarkRunner(settings: unique, connector: connector).run(seeds: [server.endpoint])
        let get = try #require(report.tests.first { $0.name == "GET" })
        #expect(get.requests == 4000 && get.errors.isEmpty && get.misses == 0)
        let connection = try await server.connect()
        defer { Task { await connection.close() } }
        #expect(try await connection.send("GET", "key:000000000009").string == "000000000009xxxxxxxx")
        #expect(try await connection.send("DBSIZE").int == 1000)

        // Someone else's value under a benchmark key: the GET test names it.
        _ = try await connection.send("SET", "key:000000000003", "not the benchmark's")
        var onlyGet = unique
        onlyGet.tests = [.single(.get)]
        onlyGet.length = .requests(800)
        let checked = try await BenchmarkRunner(settings: onlyGet, connector: connector).run(seeds: [server.endpoint])
        // The request budget is shared by the clients, so a client may wrap around and read the key twice.
        #expect(Set(checked.tests[0].errors.keys) == ["wrong-value"], "\(checked.tests[0].errors)")
        #expect((checked.tests[0].errors["wrong-value"] ?? 0) >= 1, "\(checked.tests[0].errors)")
    }

    /// Open loop: the server stalls for 300 ms mid-run; requests scheduled during the stall count
    /// their wait from their scheduled time, so the tail shows it (no coordinated omission).
    @Test func rateModeMeasuresFromTheScheduledTime() async throws {
        let server = try await RedisServerProcess.start(extraConfig: ["enable-debug-command yes"], password: "pw")
        defer { server.stop() }
        let connector = NodeConnector(options: RedisConnectionOptions(password: "pw"), dialer: TCPDialer())
        let open = try settings { $0.tests = "get"; $0.requests = 4000; $0.rate = 2000; $0.clients = 4 }
        let runner = BenchmarkRunner(settings: open, connector: connector)
        let watcher = try await server.connect()
        func commandsProcessed() async throws -> Int64 {
            InfoSections.parse(try await watcher.send("INFO", "stats").string ?? "").int("total_commands_processed") ?? 0
        }
        let baseline = try await commandsProcessed()
        async let report = runner.run(seeds: [server.endpoint])
        // Stall once the schedule is under way (a few hundred GETs answered), whatever the setup took.
        try await poll("the benchmark to start sending", until: .after(.seconds(30))) { () async throws -> PollOutcome<Void> in
            try await commandsProcessed() - baseline >= 400 ? .done(()) : .notYet("fewer than 400 commands")
        }
        _ = try await watcher.send("DEBUG", "SLEEP", "0.3")
        await watcher.close()
        let result = try await report.tests[0]
        #expect(result.requests == 4000 && result.errors.isEmpty)
        // 4000 requests at 2000/s cannot finish sooner than their schedule.
        #expect(result.seconds >= 1.9)
        // About 600 of the 4000 requests were due during the stall: far more than 1%, so p99 carries it.
        #expect(result.latency.milliseconds(atPercentile: 99) >= 100)
        #expect(result.latency.maxMilliseconds >= 250)
    }

    @Test func durationWarmupAndMixedRatio() async throws {
        let server = try await RedisServerProcess.start(password: "pw")
        defer { server.stop() }
        let connector = NodeConnector(options: RedisConnectionOptions(password: "pw"), dialer: TCPDialer())
        let mixed = try settings { $0.requests = nil; $0.duration = "1s"; $0.warmup = "300ms"; $0.ratio = "1:3"; $0.keyspace = 100 }
        let report = try await BenchmarkRunner(settings: mixed, connector: connector).run(seeds: [server.endpoint])
        let result = report.tests[0]
        #expect(result.name == "SET:GET 1:3")
        #expect(result.requests > 0 && result.errors.isEmpty)
        #expect(result.seconds >= 0.9)
        // Only the measured second is recorded: the warmup's requests are not in the histogram.
        #expect(result.latency.count == result.requests)
    }

    @Test func wrongPasswordCannotRun() async throws {
        let server = try await RedisServerProcess.start(password: "pw")
        defer { server.stop() }
        let connector = NodeConnector(options: RedisConnectionOptions(password: "nope"), dialer: TCPDialer())
        await #expect(throws: GeneralFailure.self) {
            _ = try await BenchmarkRunner(settings: try settings { _ in }, connector: connector).run(seeds: [server.endpoint])
        }
    }
}

/// Against a three-master cluster shared by the tests below.
@Suite(.serialized) struct ClusterBenchmarkTests {
    @Test func clusterRoutingRedirectsAndMigration() async throws {
        let cluster = try await SmallCluster.start()
        defer { cluster.stop() }
        try await routesEveryKeyToItsMaster(cluster)
        try await staleMapIsCorrectedByMoved(cluster)
        try await migratingSlotIsFollowedWithAsking(cluster)
    }

    func routesEveryKeyToItsMaster(_ cluster: SmallCluster) async throws {
        let dialer = CountingDialer()
        let connector = NodeConnector(options: RedisConnectionOptions(password: SmallCluster.password), dialer: dialer)
        let report = try await BenchmarkRunner(settings: try settings { $0.keyspace = 3000; $0.pipeline = 8 },
                                               connector: connector).run(seeds: [cluster.endpoints[1]])
        #expect(report.target.mode == "cluster")
        #expect(Set(report.target.masters) == Set(cluster.endpoints.map(\.description)))
        for test in report.tests {
            #expect(test.requests == 4000 && test.errors.isEmpty, "\(test.name): \(test.errors)")
            #expect(test.moved == 0 && test.ask == 0)
        }
        // One connection per client per master (discovery's own connection does not use the dialer's count here).
        #expect(dialer.dials.withLockedValue { $0 } == 8 * 3 + 1)
        for index in 0..<3 {
            let connection = try await cluster.connect(index)
            #expect((try await connection.send("DBSIZE").int ?? 0) > 100, "master \(index) got keys")
            await connection.close()
        }
    }

    /// Start with a map that sends every key to one master: MOVED replies fix it as the run goes,
    /// every request still succeeds, and GET still reads back what SET wrote.
    func staleMapIsCorrectedByMoved(_ cluster: SmallCluster) async throws {
        let connector = cluster.connector
        var topology = try await BenchTopology.discover(seeds: cluster.endpoints, connector: connector)
        topology.slotOwners = Array(repeating: 0, count: KeySlot.count)
        let report = try await BenchmarkRunner(settings: try settings { $0.keyspace = 2000; $0.tests = "set,get" },
                                               connector: connector).run(topology: topology)
        let set = report.tests[0], get = report.tests[1]
        #expect(set.moved > 0)
        #expect(set.errors.isEmpty && get.errors.isEmpty, "\(set.errors) \(get.errors)")
        #expect(set.requests == 4000 && get.requests == 4000)
        // The refreshed map holds for the next test: few or no redirects left.
        #expect(get.moved < set.moved)
        #expect(report.text.contains("redirects followed: MOVED"))
    }

    /// A slot in migration: keys not yet on the source get ASK; the benchmark follows with ASKING.
    func migratingSlotIsFollowedWithAsking(_ cluster: SmallCluster) async throws {
        let connector = cluster.connector
        let topology = try await BenchTopology.discover(seeds: cluster.endpoints, connector: connector)
        // Client 0's key (clients are spread over the masters: it is the first of keys 0, 2, 4, ...
        // on master 0), its slot, that slot's owner and another master.
        let template = RequestTemplate(.set, dataSize: 3)
        let placement = ClientPlacement(clients: 2, loops: 1, masters: topology.masters.count, bindsClientsToMasters: true)
        let keyNumber = KeyGenerator.balancedFixedKey(client: 0, clients: 2, master: placement.boundMasters[0]) {
            Int(topology.slotOwners[template.slot($0)])
        }
        #expect(keyNumber % 2 == 0)
        let key = String(format: "key:%012llu", keyNumber)
        let slot = KeySlot.slot(for: key)
        let source = Int(topology.slotOwners[slot])
        let target = (source + 1) % 3
        let sourceIndex = try #require(cluster.endpoints.firstIndex(of: topology.masters[source]))
        let targetIndex = try #require(cluster.endpoints.firstIndex(of: topology.masters[target]))
        let sourceID = try await cluster.nodeID(sourceIndex)
        let targetID = try await cluster.nodeID(targetIndex)
        let sourceConnection = try await cluster.connect(sourceIndex)
        let targetConnection = try await cluster.connect(targetIndex)
        // The key must not exist on the source yet, so it is asked for on the target.
        _ = try await sourceConnection.send("DEL", key)
        _ = try await targetConnection.send("CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID)
        _ = try await sourceConnection.send("CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID)
        let report = try await BenchmarkRunner(settings: try settings { $0.tests = "set"; $0.clients = 2 },
                                               connector: connector).run(topology: topology)
        // Without -r, client 0 has one key: every one of its SETs is asked over.
        let set = report.tests[0]
        #expect(set.ask > 0)
        #expect(set.errors.isEmpty, "\(set.errors)")
        #expect(try await targetConnection.send("ASKING").string == "OK")
        // -d 3: the value is the last three of the key's twelve digits.
        let stored = try await targetConnection.send("GET", key).string
        #expect(stored == String(format: "%03llu", keyNumber % 1000), "\(key) holds \(stored ?? "nothing") on the target")
        // Finish the move so the cluster is whole again.
        for connection in [sourceConnection, targetConnection] {
            _ = try await connection.send("CLUSTER", "SETSLOT", String(slot), "NODE", targetID)
        }
        await sourceConnection.close()
        await targetConnection.close()
    }
}
