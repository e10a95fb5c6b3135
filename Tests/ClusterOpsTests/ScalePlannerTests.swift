import Testing
@testable import ClusterOps

@Suite struct ScalePlannerTests {
    static func name(_ ordinal: Int) -> String { "r-\(ordinal)" }

    static func member(_ ordinal: Int, _ role: ScaleMember.Role, zone: String? = nil) -> ScaleMember {
        ScaleMember(candidate: LayoutCandidate(name: name(ordinal), host: "10.0.0.\(ordinal + 1)", port: 6379,
                                               failureDomain: FailureDomain(node: "node-\(ordinal)", zone: zone)),
                    ordinal: ordinal, role: role)
    }

    /// init-cluster's layout: masters 0..<m, then replica rounds.
    static func initial(masters: Int, replicas: Int) -> [ScaleMember] {
        let ranges = ClusterLayout.slotRanges(masters: masters)
        var members = (0..<masters).map { member($0, .master(slots: [ranges[$0]])) }
        for round in 0..<replicas {
            for index in 0..<masters {
                members.append(member(masters * (1 + round) + index, .replica(of: name(index))))
            }
        }
        return members
    }

    @Test func growingAddsPodsMastersAndReplicas() throws {
        let plan = try ScalePlanner.plan(members: Self.initial(masters: 3, replicas: 1), masters: 5, replicasPerMaster: 1,
                                         podName: Self.name)
        #expect(plan.addedPods == ["r-6", "r-7", "r-8", "r-9"])
        #expect(plan.finalMasters == ["r-0", "r-1", "r-2", "r-6", "r-7"])
        #expect(Set(plan.replicas) == [ReplicaAssignment(replica: "r-8", master: "r-6"), ReplicaAssignment(replica: "r-9", master: "r-7")])
        #expect(plan.meet == ["r-6", "r-7", "r-8", "r-9"])
        #expect(plan.leaving.isEmpty)
        #expect(Set(plan.rebalance.transfers.map(\.target)) == ["r-6", "r-7"])
        #expect(plan.rebalance.movedSlotCount == 16384 - 3 * 3277)
    }

    @Test func shrinkingDrainsTheHighestOrdinalsToEveryRemainingMaster() throws {
        var members = Self.initial(masters: 3, replicas: 1)
        // After a grow to 5: r-6 and r-7 are masters with slots, r-8 and r-9 their replicas.
        members[0].role = .master(slots: [SlotRange(0, 3276)])
        members[1].role = .master(slots: [SlotRange(5461, 8737)])
        members[2].role = .master(slots: [SlotRange(10923, 14199)])
        members += [Self.member(6, .master(slots: [SlotRange(3277, 5460), SlotRange(8738, 9830)])),
                    Self.member(7, .master(slots: [SlotRange(9831, 10922), SlotRange(14200, 16383)])),
                    Self.member(8, .replica(of: "r-6")), Self.member(9, .replica(of: "r-7"))]
        let plan = try ScalePlanner.plan(members: members, masters: 3, replicasPerMaster: 1, podName: Self.name)
        #expect(plan.leaving == ["r-6", "r-7", "r-8", "r-9"])
        #expect(plan.finalMasters == ["r-0", "r-1", "r-2"])
        #expect(plan.replicas.isEmpty)
        #expect(Set(plan.rebalance.transfers.map(\.source)) == ["r-6", "r-7"])
        #expect(Set(plan.rebalance.transfers.map(\.target)) == ["r-0", "r-1", "r-2"])
        #expect(plan.addedPods.isEmpty)
    }

    @Test func replicasAloneMoveNoSlot() throws {
        let more = try ScalePlanner.plan(members: Self.initial(masters: 3, replicas: 1), masters: 3, replicasPerMaster: 2,
                                         podName: Self.name)
        #expect(more.rebalance.isEmpty)
        #expect(more.addedPods == ["r-6", "r-7", "r-8"])
        #expect(Set(more.replicas.map(\.master)) == ["r-0", "r-1", "r-2"])
        let fewer = try ScalePlanner.plan(members: Self.initial(masters: 3, replicas: 2), masters: 3, replicasPerMaster: 1,
                                          podName: Self.name)
        #expect(fewer.rebalance.isEmpty)
        #expect(fewer.leaving == ["r-6", "r-7", "r-8"])
        #expect(fewer.replicas.isEmpty)
    }

    /// Regression test: a scale to 4 masters killed while slots moved left the same four masters with
    /// uneven shares; running it again must finish the even layout, moving the fewest slots.
    @Test func unevenSharesOfTheSameMastersAreEvenedOut() throws {
        var members = Self.initial(masters: 3, replicas: 1)
        members[0].role = .master(slots: [SlotRange(0, 4692)])
        members[1].role = .master(slots: [SlotRange(4693, 9130)])
        members[2].role = .master(slots: [SlotRange(9131, 14079)])
        members += [Self.member(6, .master(slots: [SlotRange(14080, 16383)])), Self.member(7, .replica(of: "r-6"))]
        let plan = try ScalePlanner.plan(members: members, masters: 4, replicasPerMaster: 1, podName: Self.name)
        #expect(plan.finalMasters == ["r-0", "r-1", "r-2", "r-6"])
        #expect(plan.addedPods.isEmpty && plan.leaving.isEmpty && plan.replicas.isEmpty)
        #expect(!plan.changesNothing)
        #expect(plan.rebalance.targetCounts == ["r-0": 4096, "r-1": 4096, "r-2": 4096, "r-6": 4096])
        #expect(plan.rebalance.movedSlotCount == 4096 - 2304, "only the missing share moves")
        #expect(Set(plan.rebalance.transfers.map(\.target)) == ["r-6"])
        // Even shares, however scattered, stay where they are.
        members[0].role = .master(slots: [SlotRange(0, 2047), SlotRange(12288, 14335)])
        members[1].role = .master(slots: [SlotRange(4096, 8191)])
        members[2].role = .master(slots: [SlotRange(8192, 12287)])
        members[6].role = .master(slots: [SlotRange(2048, 4095), SlotRange(14336, 16383)])
        #expect(try ScalePlanner.plan(members: members, masters: 4, replicasPerMaster: 1, podName: Self.name).rebalance.isEmpty)
    }

    @Test func unchangedSizeChangesNothing() throws {
        let plan = try ScalePlanner.plan(members: Self.initial(masters: 3, replicas: 1), masters: 3, replicasPerMaster: 1,
                                         podName: Self.name)
        #expect(plan.changesNothing)
    }

    @Test func replicaOfALeavingMasterIsPromotedInPlace() throws {
        // After a failover, r-5 is the master and r-2 its replica; dropping replicas removes r-3...r-5.
        var members = Self.initial(masters: 3, replicas: 1)
        let slots = members[2].slots
        members[2].role = .replica(of: "r-5")
        members[5].role = .master(slots: slots)
        let plan = try ScalePlanner.plan(members: members, masters: 3, replicasPerMaster: 0, podName: Self.name)
        #expect(plan.failovers == ["r-2"])
        #expect(plan.finalMasters == ["r-0", "r-1", "r-2"])
        #expect(plan.rebalance.isEmpty)
        #expect(plan.leaving == ["r-3", "r-4", "r-5"])
    }

    @Test func replicaOfALeavingMasterIsRepointed() throws {
        // r-3 replicates r-6, which leaves; r-0 keeps r-3 as its replica after the scale.
        var members = Self.initial(masters: 3, replicas: 1)
        let ranges = ClusterLayout.slotRanges(masters: 4)
        for index in 0..<3 { members[index].role = .master(slots: [ranges[index]]) }
        members[3].role = .replica(of: "r-6")
        members += [Self.member(6, .master(slots: [ranges[3]])), Self.member(7, .replica(of: "r-0"))]
        let plan = try ScalePlanner.plan(members: members, masters: 3, replicasPerMaster: 1, podName: Self.name)
        #expect(plan.replicas == [ReplicaAssignment(replica: "r-3", master: "r-0")])
        #expect(plan.leaving == ["r-6", "r-7"])
        #expect(Set(plan.rebalance.transfers.map(\.source)) == ["r-6"])
    }

    @Test func newReplicasAvoidTheirMastersZone() throws {
        var members = (0..<3).map { index in
            Self.member(index, .master(slots: [ClusterLayout.slotRanges(masters: 3)[index]]), zone: "z\(index)")
        }
        members += [Self.member(3, .fresh, zone: "z0"), Self.member(4, .fresh, zone: "z1"), Self.member(5, .fresh, zone: "z2")]
        let plan = try ScalePlanner.plan(members: members, masters: 3, replicasPerMaster: 1, podName: Self.name)
        for assignment in plan.replicas {
            let replica = members.first { $0.name == assignment.replica }
            let master = members.first { $0.name == assignment.master }
            #expect(replica?.candidate.failureDomain.zone != master?.candidate.failureDomain.zone)
        }
        #expect(plan.replicas.count == 3)
    }

    @Test func rejectsTooFewMasters() {
        #expect(throws: ClusterOpsError.self) {
            try ScalePlanner.plan(members: Self.initial(masters: 3, replicas: 1), masters: 2, replicasPerMaster: 1, podName: Self.name)
        }
    }
}
