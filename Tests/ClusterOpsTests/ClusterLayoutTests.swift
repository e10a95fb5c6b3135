import Foundation
import Testing
@testable import ClusterOps

@Suite struct ClusterLayoutTests {
    /// `count` pods, each on its own Kubernetes node, zones assigned round-robin over `zones`.
    static func pods(_ count: Int, zones: Int = 0, nodes: Int? = nil) -> [LayoutCandidate] {
        (0..<count).map { index in
            LayoutCandidate(
                name: "redis-cluster-\(index)", host: "10.0.0.\(index + 10)", port: 6379,
                failureDomain: FailureDomain(
                    node: "node-\(index % (nodes ?? count))",
                    zone: zones > 0 ? "zone-\(index % zones)" : nil
                )
            )
        }
    }

    static func check(_ plan: LayoutPlan, masters: Int, replicas: Int, candidates: [LayoutCandidate]) {
        #expect(plan.masters.count == masters)
        #expect(plan.replicas.count == masters * replicas)
        #expect(plan.unused.count == candidates.count - masters * (1 + replicas))
        // Everyone used exactly once.
        let used = plan.masters.map(\.candidate.name) + plan.replicas.map(\.candidate.name) + plan.unused.map(\.name)
        #expect(used.sorted() == candidates.map(\.name).sorted())
        for master in plan.masters {
            #expect(plan.replicas(ofMaster: master.candidate.name).count == replicas)
        }
        #expect(plan.masters.map(\.configEpoch) == Array(1...masters))
        #expect(SlotRange.merge(plan.masters.map(\.slots)) == [SlotRange.all])
    }

    @Test func slotsSplitLikeRedisCli() {
        #expect(ClusterLayout.slotRanges(masters: 3) == [SlotRange(0, 5460), SlotRange(5461, 10922), SlotRange(10923, 16383)])
        #expect(ClusterLayout.slotRanges(masters: 4) == [SlotRange(0, 4095), SlotRange(4096, 8191), SlotRange(8192, 12287), SlotRange(12288, 16383)])
        #expect(ClusterLayout.slotRanges(masters: 5).map(\.description) == ["0-3276", "3277-6553", "6554-9829", "9830-13106", "13107-16383"])
    }

    @Test func everySlotCoveredExactlyOnce() {
        for masters in 3...50 {
            let ranges = ClusterLayout.slotRanges(masters: masters)
            #expect(ranges.count == masters)
            #expect(ranges.reduce(0) { $0 + $1.count } == SlotRange.slotCount, "\(masters)")
            #expect(ranges.first?.start == 0 && ranges.last?.end == 16383)
            for (previous, next) in zip(ranges, ranges.dropFirst()) {
                #expect(previous.end + 1 == next.start, "\(masters)")
            }
            let sizes = ranges.map(\.count)
            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1, "\(masters): \(sizes)")
        }
    }

    @Test(arguments: [(6, 1), (9, 2), (12, 1), (15, 2), (9, 1), (15, 4)])
    func oneNodePerMachine(count: Int, replicas: Int) throws {
        let candidates = Self.pods(count)
        let masters = count / (replicas + 1)
        let plan = try ClusterLayout.plan(candidates: candidates, masters: masters, replicasPerMaster: replicas)
        Self.check(plan, masters: masters, replicas: replicas, candidates: candidates)
        #expect(plan.warnings.isEmpty)
        #expect(plan.masters.map(\.candidate.name) == (0..<masters).map { "redis-cluster-\($0)" })
    }

    @Test func sixPodsPairUpInOrder() throws {
        let plan = try ClusterLayout.plan(candidates: Self.pods(6), masters: 3, replicasPerMaster: 1)
        #expect(plan.replicas.map { "\($0.candidate.name)->\($0.masterName)" } == [
            "redis-cluster-3->redis-cluster-0", "redis-cluster-4->redis-cluster-1", "redis-cluster-5->redis-cluster-2",
        ])
        #expect(plan.masters.map(\.slots.description) == ["0-5460", "5461-10922", "10923-16383"])
    }

    @Test func extraCandidatesAreUnused() throws {
        let candidates = Self.pods(8)
        let plan = try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1)
        Self.check(plan, masters: 3, replicas: 1, candidates: candidates)
        #expect(plan.unused.map(\.name) == ["redis-cluster-6", "redis-cluster-7"])
    }

    @Test func multiZoneKeepsReplicasOutOfTheirMastersZone() throws {
        for (count, replicas) in [(6, 1), (9, 2), (12, 1), (12, 3)] {
            let candidates = Self.pods(count, zones: 3)
            let masters = count / (replicas + 1)
            let plan = try ClusterLayout.plan(candidates: candidates, masters: masters, replicasPerMaster: replicas)
            Self.check(plan, masters: masters, replicas: replicas, candidates: candidates)
            // Masters spread over the zones.
            let masterZones = plan.masters.compactMap(\.candidate.failureDomain.zone)
            #expect(Set(masterZones).count == min(3, masters))
            for replica in plan.replicas {
                let master = try #require(plan.masters.first { $0.candidate.name == replica.masterName })
                #expect(replica.candidate.failureDomain.zone != master.candidate.failureDomain.zone, "\(count)/\(replicas): \(replica)")
                #expect(replica.candidate.failureDomain.node != master.candidate.failureDomain.node)
            }
            if replicas == 2 {
                // Two replicas of one master sit in two different zones, the third and the master's not repeated.
                for master in plan.masters {
                    let zones = plan.replicas(ofMaster: master.candidate.name).compactMap(\.candidate.failureDomain.zone)
                    #expect(Set(zones).count == 2)
                }
            }
            #expect(plan.warnings.isEmpty, "\(plan.warnings)")
        }
    }

    @Test func mastersSpreadOverKubernetesNodes() throws {
        // 6 pods on 3 machines, pods 0 and 1 on node-0, 2 and 3 on node-1, 4 and 5 on node-2:
        // naive "first three are masters" would put two masters on node-0.
        let candidates = (0..<6).map { index in
            LayoutCandidate(name: "redis-cluster-\(index)", host: "10.0.0.\(index)", port: 6379,
                            failureDomain: FailureDomain(node: "node-\(index / 2)"))
        }
        let plan = try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1)
        #expect(Set(plan.masters.compactMap(\.candidate.failureDomain.node)).count == 3)
        for replica in plan.replicas {
            let master = try #require(plan.masters.first { $0.candidate.name == replica.masterName })
            #expect(replica.candidate.failureDomain.node != master.candidate.failureDomain.node)
        }
        #expect(plan.warnings.isEmpty)
    }

    @Test func findsAPlacementAGreedyPickWouldMiss() throws {
        // Masters end up on nodes a, b, c; the free pods are also on a, b, c: only a rotation works.
        let candidates = ["a", "b", "c", "a", "b", "c"].enumerated().map { index, node in
            LayoutCandidate(name: "redis-cluster-\(index)", host: "10.0.0.\(index)", port: 6379, failureDomain: FailureDomain(node: node))
        }
        let plan = try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1)
        #expect(plan.warnings.isEmpty)
    }

    @Test func singleZoneGivesNoZoneWarnings() throws {
        let candidates = (0..<6).map { index in
            LayoutCandidate(name: "redis-cluster-\(index)", host: "10.0.0.\(index)", port: 6379,
                            failureDomain: FailureDomain(node: "node-\(index)", zone: "eu-west-1a"))
        }
        let plan = try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1)
        #expect(plan.warnings.isEmpty)
    }

    @Test func allOnOneHostWarnsPerReplica() throws {
        let candidates = (1...6).map { index in
            LayoutCandidate(name: "node-\(index)", host: "127.0.1.\(index)", port: 6379, failureDomain: FailureDomain(host: "laptop"))
        }
        let plan = try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1)
        Self.check(plan, masters: 3, replicas: 1, candidates: candidates)
        #expect(plan.warnings.count == 3)
        #expect(plan.warnings.first == "replica node-4 is on the same host laptop as its master node-1")
    }

    @Test func sameKubernetesNodeWhenUnavoidable() throws {
        let candidates = Self.pods(6, nodes: 1)
        let plan = try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1)
        #expect(plan.warnings.count == 3)
        #expect(plan.warnings.allSatisfy { $0.contains("same Kubernetes node node-0") })
    }

    @Test func noDomainInformationFallsBackToIPs() throws {
        let distinct = (0..<6).map { LayoutCandidate(name: "n\($0)", host: "10.0.0.\($0)", port: 6379) }
        #expect(try ClusterLayout.plan(candidates: distinct, masters: 3, replicasPerMaster: 1).warnings.isEmpty)
        let shared = (0..<6).map { LayoutCandidate(name: "n\($0)", host: "127.0.0.1", port: 7000 + $0) }
        let plan = try ClusterLayout.plan(candidates: shared, masters: 3, replicasPerMaster: 1)
        #expect(plan.warnings.count == 3)
        #expect(plan.warnings[0].contains("same IP 127.0.0.1"))
    }

    @Test func tooFewNodesSaysHowManyAreMissing() throws {
        let error = try #require(throws: ClusterOpsError.self) {
            try ClusterLayout.plan(candidates: Self.pods(7), masters: 3, replicasPerMaster: 2)
        }
        #expect(error.code == .notEnoughNodes)
        #expect(error.message.contains("need 9 nodes, found 7: 2 missing"))
    }

    @Test func fewerThanThreeMastersIsRejected() throws {
        let error = try #require(throws: ClusterOpsError.self) {
            try ClusterLayout.plan(candidates: Self.pods(6), masters: 2, replicasPerMaster: 1)
        }
        #expect(error.code == .invalidLayout)
        #expect(error.category == .cannotRun)
        #expect(throws: ClusterOpsError.self) { try ClusterLayout.plan(candidates: Self.pods(6), masters: 3, replicasPerMaster: -1) }
    }

    @Test func duplicatesAreRejected() {
        var candidates = Self.pods(6)
        candidates[5].name = "redis-cluster-0"
        #expect(throws: ClusterOpsError.self) { try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1) }
        candidates = Self.pods(6)
        candidates[5].host = candidates[0].host
        #expect(throws: ClusterOpsError.self) { try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1) }
    }

    @Test func deterministicWhateverTheInputOrder() throws {
        let candidates = Self.pods(12, zones: 3, nodes: 4)
        let plan = try ClusterLayout.plan(candidates: candidates, masters: 4, replicasPerMaster: 2)
        #expect(try ClusterLayout.plan(candidates: candidates, masters: 4, replicasPerMaster: 2) == plan)
        #expect(try ClusterLayout.plan(candidates: candidates.reversed(), masters: 4, replicasPerMaster: 2) == plan)
        var shuffled = candidates
        shuffled.swapAt(0, 7)
        shuffled.swapAt(3, 11)
        #expect(try ClusterLayout.plan(candidates: shuffled, masters: 4, replicasPerMaster: 2) == plan)
    }

    @Test func namesSortNaturally() throws {
        let plan = try ClusterLayout.plan(candidates: Self.pods(12).reversed(), masters: 12, replicasPerMaster: 0)
        #expect(plan.masters.map(\.candidate.name).prefix(3) == ["redis-cluster-0", "redis-cluster-1", "redis-cluster-2"])
        #expect(plan.masters.last?.candidate.name == "redis-cluster-11")
    }

    @Test func planRoundTripsThroughJSON() throws {
        let plan = try ClusterLayout.plan(candidates: Self.pods(6, zones: 3), masters: 3, replicasPerMaster: 1)
        let data = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(LayoutPlan.self, from: data) == plan)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains(#""masterName":"redis-cluster-0""#))
        #expect(!json.contains("null"))
    }

    @Test func hungarianFindsTheCheapestAssignment() {
        #expect(minimumCostAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]) == [1, 0, 2])
        #expect(minimumCostAssignment([[1, 9, 9, 0], [9, 1, 9, 9]]) == [3, 1])
        #expect(minimumCostAssignment([]) == [])
    }
}
