import Foundation
import Testing
@testable import ClusterOps

@Suite struct RebalanceTests {
    /// init-cluster's split over `count` masters named m0, m1, ...
    static func initial(_ count: Int) -> [String: [SlotRange]] {
        Dictionary(uniqueKeysWithValues: ClusterLayout.slotRanges(masters: count).enumerated().map { ("m\($0.offset)", [$0.element]) })
    }

    /// Applies a plan's transfers and returns the new ownership.
    static func apply(_ plan: RebalancePlan, to current: [String: [SlotRange]]) -> [String: Set<Int>] {
        var owned = current.mapValues { Set($0.flatMap(\.slots)) }
        for transfer in plan.transfers {
            for slot in transfer.slots {
                #expect(owned[transfer.source]?.remove(slot) != nil, "slot \(slot) moved from \(transfer.source), which does not own it")
                owned[transfer.target, default: []].insert(slot)
            }
        }
        return owned
    }

    static func checkEven(_ owned: [String: Set<Int>], masters: [String]) {
        let counts = masters.map { owned[$0]?.count ?? 0 }
        #expect(counts.reduce(0, +) == SlotRange.slotCount)
        #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 1, "shares \(counts) differ by more than one slot")
        for (owner, slots) in owned where !masters.contains(owner) { #expect(slots.isEmpty, "\(owner) keeps \(slots.count) slots") }
    }

    /// The fewest slots any plan must move: what exceeds each master's share.
    static func lowerBound(_ current: [String: [SlotRange]], masters: [String]) -> Int {
        let share = SlotRange.slotCount / masters.count
        let extra = SlotRange.slotCount % masters.count
        // Best case: the `extra` largest holders keep share+1.
        let holdings = masters.map { SlotRange.count(of: current[$0] ?? []) }.sorted(by: >)
        var bound = current.filter { !masters.contains($0.key) }.values.reduce(0) { $0 + SlotRange.count(of: $1) }
        for (rank, holding) in holdings.enumerated() { bound += max(0, holding - (share + (rank < extra ? 1 : 0))) }
        return bound
    }

    @Test(arguments: [(3, 4), (3, 5), (3, 6), (4, 7), (5, 3), (6, 3), (5, 4), (3, 3), (10, 17)])
    func reachesEvenSharesWithMinimalMoves(from: Int, to: Int) throws {
        let current = Self.initial(from)
        let masters = (0..<to).map { "m\($0)" }
        let plan = try Rebalance.plan(current: current, target: masters)
        let owned = Self.apply(plan, to: current)
        Self.checkEven(owned, masters: masters)
        #expect(plan.movedSlotCount == Self.lowerBound(current, masters: masters))
        #expect(plan.transfers.allSatisfy { $0.source != $0.target && !$0.slots.isEmpty })
    }

    @Test func balancedClusterMovesNothing() throws {
        let plan = try Rebalance.plan(current: Self.initial(3), target: ["m0", "m1", "m2"])
        #expect(plan.transfers.isEmpty)
        #expect(plan.targetCounts.values.sorted() == [5461, 5461, 5462])
    }

    @Test func sameInputSamePlan() throws {
        let current = Self.initial(3)
        let first = try Rebalance.plan(current: current, target: ["m0", "m1", "m2", "m3", "m4"])
        for _ in 0..<5 {
            #expect(try Rebalance.plan(current: current, target: ["m0", "m1", "m2", "m3", "m4"]) == first)
        }
    }

    @Test func growingTakesFromEveryOldMasterAndKeepsTheirRangesWhole() throws {
        let plan = try Rebalance.plan(current: Self.initial(3), target: ["m0", "m1", "m2", "m3"])
        #expect(Set(plan.transfers.map(\.source)) == ["m0", "m1", "m2"])
        #expect(Set(plan.transfers.map(\.target)) == ["m3"])
        let owned = Self.apply(plan, to: Self.initial(3))
        for master in ["m0", "m1", "m2"] {
            #expect(SlotRange.ranges(covering: owned[master] ?? []).count == 1, "\(master) is left fragmented")
        }
    }

    @Test func drainingSpreadsTheLeavingSlotsOverEveryRemainingMaster() throws {
        // 5 masters, after a grow from 3; the two highest leave.
        let grown = try Rebalance.plan(current: Self.initial(3), target: ["m0", "m1", "m2", "m3", "m4"])
        let current = Self.apply(grown, to: Self.initial(3)).mapValues { SlotRange.ranges(covering: $0) }
        let plan = try Drain.plan(current: current, remaining: ["m0", "m1", "m2", "m3", "m4"], leaving: ["m3", "m4"])
        #expect(Set(plan.transfers.map(\.source)) == ["m3", "m4"])
        #expect(Set(plan.transfers.map(\.target)) == ["m0", "m1", "m2"])
        let owned = Self.apply(plan, to: current)
        Self.checkEven(owned, masters: ["m0", "m1", "m2"])
        #expect(plan.targetCounts["m3"] == 0 && plan.targetCounts["m4"] == 0)
        #expect(plan.movedSlotCount == SlotRange.count(of: current["m3"] ?? []) + SlotRange.count(of: current["m4"] ?? []))
    }

    @Test func unevenClusterIsEvenedOut() throws {
        let current: [String: [SlotRange]] = ["a": [SlotRange(0, 9999)], "b": [SlotRange(10000, 16000)], "c": [SlotRange(16001, 16383)]]
        let plan = try Rebalance.plan(current: current, target: ["a", "b", "c"])
        Self.checkEven(Self.apply(plan, to: current), masters: ["a", "b", "c"])
        #expect(plan.movedSlotCount == Self.lowerBound(current, masters: ["a", "b", "c"]))
    }

    @Test func rejectsUnownedAndDoublyOwnedSlots() {
        #expect(throws: ClusterOpsError.self) {
            try Rebalance.plan(current: ["a": [SlotRange(0, 100)]], target: ["a", "b"])
        }
        #expect(throws: ClusterOpsError.self) {
            try Rebalance.plan(current: ["a": [SlotRange(0, 16383)], "b": [SlotRange(5, 5)]], target: ["a", "b"])
        }
        #expect(throws: ClusterOpsError.self) { try Rebalance.plan(current: Self.initial(3), target: []) }
    }

    @Test func batchesAreCutByKeysAndBytes() {
        #expect(MigrationBatches.split(sizes: Array(repeating: 10, count: 25), maxKeys: 10, maxBytes: 1000) == [0..<10, 10..<20, 20..<25])
        #expect(MigrationBatches.split(sizes: [100, 100, 900, 50], maxKeys: 10, maxBytes: 1000) == [0..<2, 2..<4])
        // A key bigger than the byte limit travels alone.
        #expect(MigrationBatches.split(sizes: [10, 5000, 10], maxKeys: 10, maxBytes: 1000) == [0..<1, 1..<2, 2..<3])
        #expect(MigrationBatches.split(sizes: [], maxKeys: 10, maxBytes: 1000).isEmpty)
        let options = SlotMigrationOptions(baseTimeoutMs: 1000, minimumBytesPerSecond: 1_000_000)
        #expect(options.timeoutMs(forBytes: 50_000_000) == 51_000)
    }

    @Test func keysAreSizedOnlyOnSourcesWithBigKeysOnAverage() {
        #expect(!MigrationBatches.sizesKeys(datasetBytes: 150_000_000, keys: 1_000_000, threshold: 2048))
        #expect(MigrationBatches.sizesKeys(datasetBytes: 5_000_000_000, keys: 1000, threshold: 2048))
        #expect(!MigrationBatches.sizesKeys(datasetBytes: 1000, keys: 0, threshold: 2048))
        // Unknown numbers, or sizing asked for always: size.
        #expect(MigrationBatches.sizesKeys(datasetBytes: nil, keys: 10, threshold: 2048))
        #expect(MigrationBatches.sizesKeys(datasetBytes: 10, keys: 10, threshold: 0))
    }
}
