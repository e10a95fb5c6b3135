import Foundation
import Testing
@testable import ClusterOps

@Suite struct HealthEvaluatorTests {
    func evaluate(_ observations: [NodeObservation], _ expectations: ClusterExpectations = Fixtures.expectations) -> HealthReport {
        HealthEvaluator.evaluate(cluster: "redis-cluster", observations: observations, expectations: expectations)
    }

    func status(_ report: HealthReport, _ check: String) -> HealthCheck.Status? { report.check(named: check)?.status }

    @Test func healthySixNodeCluster() throws {
        let report = evaluate(try Fixtures.healthyObservations())
        #expect(report.healthy)
        #expect(report.checks.map(\.name) == HealthEvaluator.checkNames)
        #expect(report.checks.allSatisfy { $0.status == .pass }, "\(report.checks.filter { $0.status != .pass })")
        #expect(report.check(named: "slots-covered")?.message == "16384/16384 slots assigned")
        #expect(report.check(named: "node-count")?.message == "6/6 nodes in the cluster")
        #expect(report.nodes.count == 6)
        let first = report.nodes[0]
        #expect(first.name == "redis-cluster-0" && first.address == "127.0.0.1:17001")
        #expect(first.id == Fixtures.id0 && first.role == "master" && first.slots == 5461)
        #expect(first.masterId == nil && first.linkStatus == "up")
        #expect(report.nodes[3].role == "replica" && report.nodes[3].masterId == Fixtures.id1 && report.nodes[3].slots == 0)
    }

    @Test func jsonMatchesTheContract() throws {
        var observations = try Fixtures.healthyObservations()
        observations[0].info = InfoSections.parse(Fixtures.info(role: "master", usedMemory: 12, maxmemory: 100))
        let report = evaluate(observations)
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["cluster"] as? String == "redis-cluster")
        #expect(object["healthy"] as? Bool == true)
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(Set(checks[0].keys) == ["name", "status", "message"])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes[0]["masterId"] is NSNull)
        #expect(nodes[0]["linkStatus"] as? String == "up")
        #expect(nodes[0]["usedMemoryRatio"] as? Double == 0.12)
        #expect(nodes[0]["slots"] as? Int == 5461)
        #expect(nodes[3]["masterId"] as? String == Fixtures.id1)
        #expect(try JSONDecoder().decode(HealthReport.self, from: data) == report)
    }

    /// redis-cluster-1 came back on 127.0.0.9 (its own line says so); two peers still list it at
    /// its old address, with the link up for a moment as gossip would show it.
    @Test func peersHoldingAStaleAddressAreNamed() throws {
        var observations = try Fixtures.healthyObservations()
        for index in 0..<6 {
            var text = Fixtures.healthy(from: index)
            if index == 1 || index == 2 || index == 3 {
                text = text.replacingOccurrences(of: "127.0.0.1:17002@27002", with: "127.0.0.9:17002@27002")
            }
            observations[index].topology = try ClusterTopology.parse(text)
        }
        let report = evaluate(observations)
        #expect(!report.healthy)
        #expect(status(report, "peer-addresses") == .fail)
        let message = try #require(report.check(named: "peer-addresses")?.message)
        #expect(message.hasPrefix("redis-cluster-0 lists redis-cluster-1 at 127.0.0.1:17002, it is at 127.0.0.9:17002; "
                                  + "redis-cluster-4 lists redis-cluster-1 at 127.0.0.1:17002"), "\(message)")
        #expect(!message.contains("redis-cluster-2 lists") && !message.contains("redis-cluster-3 lists"))
        #expect(message.contains("redisctl repair"))
        #expect(status(try evaluate(Fixtures.healthyObservations()), "peer-addresses") == .pass)
    }

    @Test func deadReplica() throws {
        var observations = try Fixtures.healthyObservations()
        // redis-cluster-4 (replica of redis-cluster-2) is down; the others see it as failed.
        let text = { (me: Int) in
            Fixtures.healthy(from: me).replacingOccurrences(
                of: "redis-cluster-4.redis-cluster-headless slave \(Fixtures.id2) 0 1795715579038 3 connected",
                with: "redis-cluster-4.redis-cluster-headless slave,fail \(Fixtures.id2) 1795715582053 1795715581048 3 disconnected")
        }
        for index in [0, 1, 2, 3, 5] { observations[index].topology = try ClusterTopology.parse(text(index)) }
        observations[4] = NodeObservation(name: "redis-cluster-4", host: "127.0.0.1", port: 17005,
                                          failureDomain: FailureDomain(node: "node-4", zone: "zone-1"),
                                          reachability: .unreachable("connection refused"))
        let report = evaluate(observations)
        #expect(!report.healthy)
        #expect(status(report, "nodes-reachable") == .fail)
        #expect(report.check(named: "nodes-reachable")?.message.contains("redis-cluster-4 (connection refused)") == true)
        #expect(status(report, "cluster-state") == .pass)
        #expect(status(report, "slots-covered") == .pass)
        #expect(status(report, "slot-map-agreement") == .pass)
        #expect(status(report, "replicas") == .fail)
        #expect(report.check(named: "replicas")?.message == "masters short of replicas: redis-cluster-2 has 0/1")
        #expect(status(report, "node-count") == .fail)
        #expect(report.check(named: "node-count")?.message == "5/6 nodes in the cluster; missing: redis-cluster-4 (marked fail)")
        let dead = report.nodes[4]
        #expect(dead.id == Fixtures.id4 && dead.role == "replica" && dead.linkStatus == "down" && !dead.reachable && dead.failed)
    }

    @Test func replicaWithReplicationLinkDown() throws {
        var observations = try Fixtures.healthyObservations()
        observations[5].info = InfoSections.parse(Fixtures.info(role: "slave", linkUp: false))
        let report = evaluate(observations)
        #expect(status(report, "replicas") == .fail)
        #expect(report.check(named: "replicas")?.message.contains("replica link down: redis-cluster-5") == true)
        #expect(report.nodes[5].linkStatus == "down")
    }

    @Test func failedOverMaster() throws {
        var observations = try (0..<6).map { try Fixtures.observation($0, topology: Fixtures.failedOver(from: $0)) }
        observations[2] = NodeObservation(name: "redis-cluster-2", host: "127.0.0.1", port: 17003,
                                          failureDomain: FailureDomain(node: "node-2", zone: "zone-2"),
                                          reachability: .unreachable("connection refused"))
        observations[4].info = InfoSections.parse(Fixtures.info(role: "master"))
        let report = evaluate(observations)
        #expect(!report.healthy)
        let promoted = report.nodes[4]
        #expect(promoted.role == "master" && promoted.slots == 5461 && promoted.masterId == nil && promoted.linkStatus == "up")
        let lost = report.nodes[2]
        #expect(lost.failed && !lost.reachable && lost.slots == 0 && lost.id == Fixtures.id2)
        #expect(status(report, "slots-covered") == .pass)
        #expect(report.check(named: "node-count")?.message == "5/6 nodes in the cluster; missing: redis-cluster-2 (marked fail)")
        #expect(report.check(named: "replicas")?.message == "masters short of replicas: redis-cluster-4 has 0/1")
    }

    @Test func unreachableNodeFoundByHostnameWhenAddressesDiffer() throws {
        var observations = try Fixtures.healthyObservations()
        // Reached through a tunnel: the platform's address is not the one the cluster announces.
        observations[1] = NodeObservation(name: "redis-cluster-1", host: "10.9.9.9", port: 6379, reachability: .unreachable("timeout"))
        let report = evaluate(observations)
        #expect(report.nodes[1].id == Fixtures.id1)
        #expect(report.nodes.count == 6)
        #expect(report.check(named: "node-count")?.message.contains("redis-cluster-1 (unreachable)") == true)
    }

    @Test func openSlots() throws {
        var observations = try Fixtures.healthyObservations()
        let migrating = Fixtures.healthy(from: 0).replacingOccurrences(of: "connected 0-5460", with: "connected 0-5460 [100->-\(Fixtures.id1)]")
        let importing = Fixtures.healthy(from: 1).replacingOccurrences(of: "connected 5461-10922", with: "connected 5461-10922 [100-<-\(Fixtures.id0)]")
        observations[0].topology = try ClusterTopology.parse(migrating)
        observations[1].topology = try ClusterTopology.parse(importing)
        let report = evaluate(observations)
        #expect(status(report, "open-slots") == .fail)
        #expect(report.check(named: "open-slots")?.message ==
            "redis-cluster-0 migrating slot 100 to redis-cluster-1; redis-cluster-1 importing slot 100 from redis-cluster-0")
        #expect(status(report, "slot-map-agreement") == .pass)
    }

    @Test func uncoveredSlots() throws {
        let text = { (me: Int) in Fixtures.healthy(from: me).replacingOccurrences(of: "connected 0-5460", with: "connected 0-5000") }
        var observations = try (0..<6).map { try Fixtures.observation($0, topology: text($0)) }
        for index in observations.indices {
            observations[index].clusterInfo = InfoSections.parse("cluster_state:fail\r\ncluster_slots_assigned:15924\r\n")
        }
        let report = evaluate(observations)
        #expect(report.check(named: "slots-covered")?.message == "15924/16384 slots assigned; unassigned: 5001-5460")
        #expect(status(report, "slots-covered") == .fail)
        #expect(status(report, "cluster-state") == .fail)
        #expect(report.check(named: "cluster-state")?.message.contains("redis-cluster-0 (fail)") == true)
    }

    @Test func slotsStillOnAFailedMaster() throws {
        let text = { (me: Int) in
            Fixtures.healthy(from: me).replacingOccurrences(of: "master - 0 1795715579038 3 connected", with: "master,fail - 0 1795715579038 3 disconnected")
        }
        let observations = try [0, 1, 3, 4, 5].map { try Fixtures.observation($0, topology: text($0)) }
        let report = evaluate(observations)
        #expect(status(report, "slots-covered") == .fail)
        #expect(report.check(named: "slots-covered")?.message.contains("served by failed nodes: redis-cluster-2 (5461)") == true)
    }

    @Test func disagreementNamesTheOddOneOut() throws {
        var observations = try Fixtures.healthyObservations()
        observations[5].topology = try ClusterTopology.parse(Fixtures.failedOver(from: 5))
        let report = evaluate(observations)
        #expect(status(report, "slot-map-agreement") == .fail)
        #expect(report.check(named: "slot-map-agreement")?.message.hasPrefix("redis-cluster-5 disagree") == true)
        // The majority's view is the one reported.
        #expect(report.nodes[2].role == "master" && report.nodes[2].slots == 5461)
    }

    @Test func memoryThresholds() throws {
        func report(ratio used: Int64) throws -> HealthReport {
            var observations = try Fixtures.healthyObservations()
            observations[1].info = InfoSections.parse(Fixtures.info(role: "master", usedMemory: used, maxmemory: 100))
            return evaluate(observations)
        }
        #expect(try status(report(ratio: 89), "memory") == .pass)
        #expect(try report(ratio: 89).check(named: "memory")?.message == "highest use 89% of maxmemory (redis-cluster-1)")
        #expect(try status(report(ratio: 90), "memory") == .warn)
        #expect(try report(ratio: 90).healthy)
        #expect(try status(report(ratio: 95), "memory") == .fail)
        #expect(try report(ratio: 97).check(named: "memory")?.message == "memory near maxmemory: redis-cluster-1 at 97%")
        #expect(try !report(ratio: 97).healthy)
        #expect(try report(ratio: 50).nodes[1].usedMemoryRatio == 0.5)
        #expect(try report(ratio: 50).nodes[0].usedMemoryRatio == nil)
        #expect(evaluate(try Fixtures.healthyObservations()).check(named: "memory")?.message == "no maxmemory set; usage ratio not checked")
    }

    @Test func authNotRequired() throws {
        var observations = try Fixtures.healthyObservations()
        observations[0].unauthenticatedAccessRefused = false
        observations[3].unauthenticatedAccessRefused = false
        let report = evaluate(observations)
        #expect(status(report, "auth-required") == .fail)
        #expect(report.check(named: "auth-required")?.message == "commands run without a password on redis-cluster-0, redis-cluster-3")
        for index in observations.indices { observations[index].unauthenticatedAccessRefused = nil }
        #expect(status(evaluate(observations), "auth-required") == .warn)
    }

    @Test func authenticationFailureIsNotReachable() throws {
        var observations = try Fixtures.healthyObservations()
        observations[2].reachability = .authenticationFailed("WRONGPASS")
        let report = evaluate(observations)
        #expect(report.check(named: "nodes-reachable")?.message == "1 of 6 nodes not usable: redis-cluster-2 (authentication failed: WRONGPASS)")
    }

    @Test func persistenceProblems() throws {
        var observations = try Fixtures.healthyObservations()
        observations[0].info = InfoSections.parse(Fixtures.info(role: "master", aof: false))
        observations[1].info = InfoSections.parse(Fixtures.info(role: "master", aofStatus: "err", rdbStatus: "err"))
        let report = evaluate(observations)
        #expect(status(report, "persistence") == .fail)
        #expect(report.check(named: "persistence")?.message ==
            "redis-cluster-0: appendonly is off, expected on; redis-cluster-1: aof_last_write_status:err; redis-cluster-1: rdb_last_bgsave_status:err")
    }

    @Test func evictionsWarn() throws {
        var observations = try Fixtures.healthyObservations()
        observations[1].info = InfoSections.parse(Fixtures.info(role: "master", evicted: 12))
        let report = evaluate(observations)
        #expect(status(report, "evictions") == .warn)
        #expect(report.check(named: "evictions")?.message == "12 keys evicted (redis-cluster-1: 12)")
        #expect(report.healthy)
    }

    @Test func replicaPlacementWarns() throws {
        var observations = try Fixtures.healthyObservations()
        // redis-cluster-5 replicates redis-cluster-0: put both on node-0.
        observations[5].failureDomain = FailureDomain(node: "node-0", zone: "zone-0")
        let report = evaluate(observations)
        #expect(status(report, "replica-placement") == .warn)
        #expect(report.check(named: "replica-placement")?.message ==
            "redis-cluster-5 shares Kubernetes node node-0 with its master redis-cluster-0; redis-cluster-5 shares zone zone-0 with its master redis-cluster-0")
        #expect(report.healthy)
    }

    @Test func nodeNotInTheCluster() throws {
        var observations = try Fixtures.healthyObservations()
        let lonely = "\(String(repeating: "a", count: 40)) 127.0.0.1:17007@27007 myself,master - 0 0 0 connected\n"
        observations.append(try Fixtures.observation(0, topology: lonely))
        observations[6].name = "redis-cluster-6"
        let report = evaluate(observations, ClusterExpectations(replicasPerMaster: 1, appendonly: true, rdbEnabled: true, expectedNodeCount: 7))
        #expect(status(report, "node-count") == .fail)
        #expect(report.check(named: "node-count")?.message == "6/7 nodes in the cluster; missing: redis-cluster-6 (not in the cluster)")
        #expect(status(report, "slot-map-agreement") == .fail)
    }

    @Test func nothingReachable() {
        let observations = (0..<3).map {
            NodeObservation(name: "redis-cluster-\($0)", host: "10.0.0.\($0)", port: 6379, reachability: .unreachable("timeout"))
        }
        let report = evaluate(observations)
        #expect(!report.healthy)
        #expect(report.nodes.count == 3 && report.nodes.allSatisfy { $0.linkStatus == "down" && $0.role == "unknown" })
        #expect(status(report, "cluster-state") == .fail)
        #expect(status(report, "slots-covered") == .fail)
        #expect(evaluate([]).check(named: "nodes-reachable")?.status == .fail)
    }
}
