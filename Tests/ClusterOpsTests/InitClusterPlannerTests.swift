import Testing
@testable import ClusterOps

@Suite struct InitClusterPlannerTests {
    let layout: LayoutPlan
    /// Node id per candidate name: "0000…0", "0000…1", ...
    let ids: [String: String]

    init() throws {
        let candidates = (0..<6).map { LayoutCandidate(name: "redis-cluster-\($0)", host: "10.0.0.\($0)", port: 6379) }
        layout = try ClusterLayout.plan(candidates: candidates, masters: 3, replicasPerMaster: 1)
        ids = Dictionary(uniqueKeysWithValues: (0..<6).map { ("redis-cluster-\($0)", String(repeating: "0", count: 39) + "\($0)") })
    }

    func id(_ index: Int) -> String { ids["redis-cluster-\(index)"] ?? "" }
    var allIds: Set<String> { Set(ids.values) }

    func fresh() -> [String: ObservedNodeState] {
        ids.mapValues { ObservedNodeState(nodeId: $0) }
    }

    /// Slots assigned and epochs set, nobody met yet.
    func slotsAssigned() -> [String: ObservedNodeState] {
        var state = fresh()
        for (index, master) in layout.masters.enumerated() {
            state[master.candidate.name]?.ownedSlots = [master.slots]
            state[master.candidate.name]?.configEpoch = Int64(index + 1)
        }
        for index in 3..<6 { state["redis-cluster-\(index)"]?.configEpoch = Int64(index + 1) }
        return state
    }

    /// Everyone knows everyone; no replication yet.
    func met() -> [String: ObservedNodeState] {
        var state = slotsAssigned()
        for name in state.keys {
            let own = state[name]?.nodeId ?? ""
            state[name]?.knownNodeIds = allIds.subtracting([own])
            state[name]?.knownNodes = 6
        }
        return state
    }

    func complete() -> [String: ObservedNodeState] {
        var state = met()
        state["redis-cluster-3"]?.masterId = id(0)
        state["redis-cluster-4"]?.masterId = id(1)
        state["redis-cluster-5"]?.masterId = id(2)
        return state
    }

    @Test func freshNodesGetEverything() throws {
        let steps = try InitClusterPlanner.nextSteps(layout: layout, observed: fresh())
        var meets: [InitStep] = []
        for first in 0..<6 {
            for second in (first + 1)..<6 {
                meets.append(.meet(node: "redis-cluster-\(first)", with: "redis-cluster-\(second)"))
            }
        }
        let expected: [InitStep] = [
            .assignSlots(node: "redis-cluster-0", ranges: [SlotRange(0, 5460)]),
            .assignSlots(node: "redis-cluster-1", ranges: [SlotRange(5461, 10922)]),
            .assignSlots(node: "redis-cluster-2", ranges: [SlotRange(10923, 16383)]),
            .setConfigEpoch(node: "redis-cluster-0", epoch: 1),
            .setConfigEpoch(node: "redis-cluster-1", epoch: 2),
            .setConfigEpoch(node: "redis-cluster-2", epoch: 3),
            .setConfigEpoch(node: "redis-cluster-3", epoch: 4),
            .setConfigEpoch(node: "redis-cluster-4", epoch: 5),
            .setConfigEpoch(node: "redis-cluster-5", epoch: 6),
        ]
        let replicates: [InitStep] = [
            .replicate(replica: "redis-cluster-3", masterId: id(0)),
            .replicate(replica: "redis-cluster-4", masterId: id(1)),
            .replicate(replica: "redis-cluster-5", masterId: id(2)),
        ]
        #expect(steps == expected + meets + replicates)
        #expect(steps[0].description == "assign slots 0-5460 to redis-cluster-0")
    }

    @Test func slotsAssignedButNotMet() throws {
        let steps = try InitClusterPlanner.nextSteps(layout: layout, observed: slotsAssigned())
        #expect(steps.allSatisfy { if case .meet = $0 { true } else if case .replicate = $0 { true } else { false } })
        #expect(steps.count == 15 + 3)
    }

    @Test func slotsAssignedButEpochNotYetSet() throws {
        var state = slotsAssigned()
        state["redis-cluster-1"]?.configEpoch = 0
        let steps = try InitClusterPlanner.nextSteps(layout: layout, observed: state)
        #expect(steps.first == .setConfigEpoch(node: "redis-cluster-1", epoch: 2))
    }

    @Test func partlyMet() throws {
        var state = slotsAssigned()
        // redis-cluster-4 met redis-cluster-0, which already heard of redis-cluster-5.
        state["redis-cluster-4"]?.knownNodeIds = [id(0)]
        state["redis-cluster-0"]?.knownNodeIds = [id(4), id(5)]
        let meets = try InitClusterPlanner.nextSteps(layout: layout, observed: state).filter {
            if case .meet = $0 { true } else { false }
        }
        // Every pair meets once, except the two that already know each other.
        #expect(meets.count == 15 - 2)
        #expect(!meets.contains(.meet(node: "redis-cluster-0", with: "redis-cluster-4")))
        #expect(!meets.contains(.meet(node: "redis-cluster-0", with: "redis-cluster-5")))
        #expect(meets.contains(.meet(node: "redis-cluster-4", with: "redis-cluster-5")))
        #expect(meets.first == .meet(node: "redis-cluster-0", with: "redis-cluster-1"))
    }

    @Test func metButNoReplicas() throws {
        let steps = try InitClusterPlanner.nextSteps(layout: layout, observed: met())
        #expect(steps == [
            .replicate(replica: "redis-cluster-3", masterId: id(0)),
            .replicate(replica: "redis-cluster-4", masterId: id(1)),
            .replicate(replica: "redis-cluster-5", masterId: id(2)),
        ])
    }

    @Test func completeClusterNeedsNothing() throws {
        #expect(try InitClusterPlanner.nextSteps(layout: layout, observed: complete()).isEmpty)
        // Data in a formed cluster is expected.
        var withData = complete()
        for name in withData.keys { withData[name]?.holdsKeys = true }
        #expect(try InitClusterPlanner.nextSteps(layout: layout, observed: withData).isEmpty)
    }

    @Test func failedOverShardIsStillFormed() throws {
        var state = complete()
        // redis-cluster-3 took over redis-cluster-0's slots; redis-cluster-0 now replicates it.
        state["redis-cluster-3"]?.ownedSlots = [SlotRange(0, 5460)]
        state["redis-cluster-3"]?.masterId = nil
        state["redis-cluster-0"]?.ownedSlots = []
        state["redis-cluster-0"]?.masterId = id(3)
        #expect(try InitClusterPlanner.nextSteps(layout: layout, observed: state).isEmpty)
    }

    @Test func foreignClusterIsNamed() throws {
        var state = fresh()
        state["redis-cluster-2"]?.knownNodeIds = [String(repeating: "f", count: 40)]
        state["redis-cluster-2"]?.knownNodes = 2
        let error = try #require(throws: ClusterOpsError.self) { try InitClusterPlanner.nextSteps(layout: layout, observed: state) }
        #expect(error.code == .foreignCluster)
        #expect(error.message.hasPrefix("redis-cluster-2 (10.0.0.2:6379) knows 1 node(s) outside this layout"))
    }

    @Test func nodeWithKeysIsNamed() throws {
        var state = fresh()
        state["redis-cluster-1"]?.holdsKeys = true
        let error = try #require(throws: ClusterOpsError.self) { try InitClusterPlanner.nextSteps(layout: layout, observed: state) }
        #expect(error.code == .nodeNotEmpty)
        #expect(error.message.hasPrefix("redis-cluster-1 (10.0.0.1:6379) holds keys"))

        var replicaWithKeys = met()
        replicaWithKeys["redis-cluster-4"]?.holdsKeys = true
        let replicaError = try #require(throws: ClusterOpsError.self) { try InitClusterPlanner.nextSteps(layout: layout, observed: replicaWithKeys) }
        #expect(replicaError.message.hasPrefix("redis-cluster-4"))
    }

    @Test func slotsThatDoNotMatchThePlan() throws {
        var state = fresh()
        state["redis-cluster-1"]?.ownedSlots = [SlotRange(0, 100)]
        let error = try #require(throws: ClusterOpsError.self) { try InitClusterPlanner.nextSteps(layout: layout, observed: state) }
        #expect(error.code == .slotConflict)
        #expect(error.message.hasPrefix("redis-cluster-1 (10.0.0.1:6379) owns slots 0-100"))

        var twoOwners = fresh()
        twoOwners["redis-cluster-0"]?.ownedSlots = [SlotRange(0, 10)]
        twoOwners["redis-cluster-3"]?.ownedSlots = [SlotRange(11, 20)]
        #expect(throws: ClusterOpsError.self) { try InitClusterPlanner.nextSteps(layout: layout, observed: twoOwners) }
    }

    @Test func partialSlotsAreCompleted() throws {
        var state = fresh()
        state["redis-cluster-0"]?.ownedSlots = [SlotRange(0, 99)]
        let steps = try InitClusterPlanner.nextSteps(layout: layout, observed: state)
        #expect(steps.first == .assignSlots(node: "redis-cluster-0", ranges: [SlotRange(100, 5460)]))
    }

    @Test func missingObservationIsNamed() throws {
        var state = fresh()
        state["redis-cluster-5"] = nil
        let error = try #require(throws: ClusterOpsError.self) { try InitClusterPlanner.nextSteps(layout: layout, observed: state) }
        #expect(error.code == .missingObservation)
        #expect(error.message.contains("redis-cluster-5"))
    }
}
