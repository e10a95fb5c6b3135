import Testing
import RESP
@testable import ClusterOps

/// `repair`'s decisions on the captured healthy cluster (masters 0,1,2; 3 replicates 1, 4
/// replicates 2, 5 replicates 0), broken one way at a time.
@Suite struct RepairPlannerTests {
    func members(_ text: (Int) -> String, domains: [FailureDomain]? = nil) throws -> [RepairMember] {
        try (0..<6).map { index in
            RepairMember(address: MemberAddress(name: "redis-cluster-\(index)", endpoint: RedisEndpoint(host: "127.0.0.1", port: 17001 + index)),
                         failureDomain: domains?[index] ?? FailureDomain(host: "machine-\(index)"),
                         topology: try ClusterTopology.parse(text(index)))
        }
    }

    func plan(_ members: [RepairMember], keys: [Int: [String: Int]] = [:]) -> RepairPlan {
        RepairPlanner.plan(members: members, keysInUncoveredSlots: keys, replicasPerMaster: 1)
    }

    @Test func aHealthyClusterNeedsNothing() throws {
        let result = plan(try members(Fixtures.healthy(from:)))
        #expect(result.steps.isEmpty && result.unfixable.isEmpty, "\(result.steps)")
    }

    /// redis-cluster-1 came back on 127.0.0.9; 0 and 4 still list the old address.
    @Test func staleAddressesAreMetAgain() throws {
        let result = plan(try members { index in
            let text = Fixtures.healthy(from: index)
            return [1, 2, 3, 5].contains(index) ? text.replacingOccurrences(of: "127.0.0.1:17002@27002", with: "127.0.0.9:17002@27002") : text
        })
        #expect(result.steps == [
            .refreshAddress(viewer: "redis-cluster-0", peer: "redis-cluster-1", host: "127.0.0.9", port: 17002, busPort: 27002),
            .refreshAddress(viewer: "redis-cluster-4", peer: "redis-cluster-1", host: "127.0.0.9", port: 17002, busPort: 27002),
        ])
        #expect(result.steps[0].description == "redis-cluster-0 meets redis-cluster-1 at its current address 127.0.0.9:17002")
    }

    /// Slots 0-99 lost their owner: the master holding their keys takes those, the rest go to the
    /// master with the fewest slots; a slot with keys on two masters is left, named.
    @Test func uncoveredSlotsGoWhereTheirKeysAre() throws {
        let text = { (index: Int) in Fixtures.healthy(from: index).replacingOccurrences(of: " 0-5460", with: " 100-5460") }
        let result = plan(try members(text), keys: [5: [Fixtures.id2: 3], 7: [Fixtures.id1: 1, Fixtures.id2: 2]])
        #expect(result.steps.contains(.assignSlots(node: "redis-cluster-2", nodeId: Fixtures.id2, ranges: [SlotRange(slot: 5)])))
        let toZero = result.steps.first { if case .assignSlots(let node, _, _) = $0 { node == "redis-cluster-0" } else { false } }
        // redis-cluster-0 has the fewest slots (5361) and takes the key-less ones.
        #expect(toZero == .assignSlots(node: "redis-cluster-0", nodeId: Fixtures.id0,
                                       ranges: [SlotRange(0, 4), SlotRange(6, 6), SlotRange(8, 99)]))
        #expect(result.unfixable.count == 1 && result.unfixable[0].contains("slot 7 has keys on redis-cluster-1 and redis-cluster-2"))
    }

    /// redis-cluster-3 moved from master 1 to master 2: 1 has none, 2 has two; one goes back.
    @Test func aMasterWithoutReplicaGetsASpare() throws {
        let text = { (index: Int) in
            Fixtures.healthy(from: index)
                .replacingOccurrences(of: "redis-cluster-3.redis-cluster-headless slave \(Fixtures.id1)",
                                      with: "redis-cluster-3.redis-cluster-headless slave \(Fixtures.id2)")
                .replacingOccurrences(of: "redis-cluster-3.redis-cluster-headless myself,slave \(Fixtures.id1)",
                                      with: "redis-cluster-3.redis-cluster-headless myself,slave \(Fixtures.id2)")
        }
        let result = plan(try members(text))
        #expect(result.steps.count == 1)
        guard case .replicate(let replica, let masterId, let master, _) = result.steps.first else {
            Issue.record("no replicate step: \(result.steps)")
            return
        }
        #expect(masterId == Fixtures.id1 && master == "redis-cluster-1")
        #expect(replica == "redis-cluster-3" || replica == "redis-cluster-4")
    }

    /// Replica 3 shares machine-a with its master 1, replica 4 machine-b with its master 2: the
    /// two swap masters, and no replica shares a machine any more.
    @Test func replicasInTheirMastersDomainAreSwapped() throws {
        let domains = ["machine-c", "machine-a", "machine-b", "machine-a", "machine-b", "machine-d"].map { FailureDomain(node: $0) }
        let result = plan(try members(Fixtures.healthy(from:), domains: domains))
        let moves = result.steps.compactMap { step -> String? in
            if case .replicate(let replica, _, let master, _) = step { return "\(replica)->\(master)" }
            return nil
        }
        #expect(moves.sorted() == ["redis-cluster-3->redis-cluster-2", "redis-cluster-4->redis-cluster-1"], "\(result.steps)")
        #expect(result.steps.first?.description.contains("shares a failure domain") == true)
        // Everything on one machine (the local platform): no swap helps, none is made.
        let local = plan(try members(Fixtures.healthy(from:), domains: Array(repeating: FailureDomain(host: "here"), count: 6)))
        #expect(local.steps.isEmpty)
    }

    @Test func openSlotsAreClosed() throws {
        let text = { (index: Int) in
            Fixtures.healthy(from: index)
                .replacingOccurrences(of: "myself,master - 0 1795715579038 1 connected 0-5460",
                                      with: "myself,master - 0 1795715579038 1 connected 0-5460 [42->-\(Fixtures.id1)]")
                .replacingOccurrences(of: "myself,master - 0 1795715579038 2 connected 5461-10922",
                                      with: "myself,master - 0 1795715579038 2 connected 5461-10922 [42-<-\(Fixtures.id0)]")
        }
        let result = plan(try members(text))
        #expect(result.steps == [.closeSlot(.finish(slot: 42, source: Fixtures.id0, target: Fixtures.id1))], "\(result.steps)")
    }
}
