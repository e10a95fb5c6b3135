/// Slots going from one master to another, in the order they move.
public struct SlotTransfer: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Node ids.
    public var source: String
    public var target: String
    public var slots: [Int]

    public init(source: String, target: String, slots: [Int]) {
        self.source = source
        self.target = target
        self.slots = slots
    }

    public var ranges: [SlotRange] { SlotRange.ranges(covering: slots) }

    public var description: String { "\(slots.count) slots \(SlotRange.describe(ranges)) from \(source) to \(target)" }
}

/// What a rebalance does: how many slots each master should end with, and the transfers there.
public struct RebalancePlan: Hashable, Sendable, Codable {
    /// Slots each master holds afterwards, by node id (masters drained to zero included).
    public var targetCounts: [String: Int]
    public var transfers: [SlotTransfer]

    public init(targetCounts: [String: Int], transfers: [SlotTransfer]) {
        self.targetCounts = targetCounts
        self.transfers = transfers
    }

    public var movedSlotCount: Int { transfers.reduce(0) { $0 + $1.slots.count } }
    public var isEmpty: Bool { transfers.isEmpty }
}

/// Even slot shares with the fewest moves.
///
/// Shares follow redis-cli's balance rule: any two masters differ by at most one slot. The masters
/// given one slot above the floor are those holding the most already, so no slot moves that does not
/// have to; the slots a master gives away are its highest ones, so what stays keeps its ranges whole.
public enum Rebalance {
    /// `current`: the slots each node owns now (every slot owned exactly once).
    /// `target`: the masters that should share the slots, in a stable order; owners missing from it
    /// are drained to zero. Deterministic: the same input gives the same plan.
    public static func plan(current: [String: [SlotRange]], target masters: [String]) throws -> RebalancePlan {
        guard !masters.isEmpty else {
            throw ClusterOpsError(.invalidLayout, "a rebalance needs at least one master to hold the slots", category: .cannotRun)
        }
        guard Set(masters).count == masters.count else {
            throw ClusterOpsError(.invalidLayout, "a master is listed twice among the rebalance targets", category: .cannotRun)
        }
        var owned: [String: [Int]] = [:]
        var seen = Array(repeating: false, count: SlotRange.slotCount)
        for (owner, ranges) in current.sorted(by: { $0.key < $1.key }) {
            for range in SlotRange.merge(ranges) {
                for slot in range.slots {
                    guard SlotRange.isValidSlot(slot), !seen[slot] else {
                        throw ClusterOpsError(.slotConflict, "slot \(slot) is claimed twice (\(owner) and another node); fix it before scaling (redisctl verify)")
                    }
                    seen[slot] = true
                    owned[owner, default: []].append(slot)
                }
            }
        }
        let unassigned = SlotRange.ranges(covering: seen.indices.filter { !seen[$0] })
        guard unassigned.isEmpty else {
            throw ClusterOpsError(.slotConflict, "slots \(SlotRange.describe(unassigned.prefix(5))) have no owner; run verify and fix the cluster before scaling",
                                  category: .operationFailed)
        }

        let counts = targetCounts(masters: masters, holding: owned.mapValues(\.count))
        // Donors in a stable order: drained nodes first (their slots must all go), then by id.
        let drained = owned.keys.filter { counts[$0] == nil }.sorted()
        var donors: [(id: String, slots: [Int])] = []
        for id in drained { donors.append((id: id, slots: owned[id] ?? [])) }
        for id in masters {
            let have = owned[id] ?? []
            let keep = counts[id] ?? 0
            // Give away the highest slots, so the ones kept stay contiguous.
            if have.count > keep { donors.append((id: id, slots: Array(have.sorted().suffix(have.count - keep)))) }
        }
        var recipients: [(id: String, needed: Int)] = masters.compactMap { id in
            let needed = (counts[id] ?? 0) - (owned[id]?.count ?? 0)
            return needed > 0 ? (id: id, needed: needed) : nil
        }

        var transfers: [SlotTransfer] = []
        var recipientIndex = 0
        for donor in donors {
            var pending = donor.slots.sorted()[...]
            while !pending.isEmpty, recipientIndex < recipients.count {
                let take = min(pending.count, recipients[recipientIndex].needed)
                transfers.append(SlotTransfer(source: donor.id, target: recipients[recipientIndex].id,
                                              slots: Array(pending.prefix(take))))
                pending = pending.dropFirst(take)
                recipients[recipientIndex].needed -= take
                if recipients[recipientIndex].needed == 0 { recipientIndex += 1 }
            }
        }
        var allCounts = counts
        for id in drained { allCounts[id] = 0 }
        return RebalancePlan(targetCounts: allCounts, transfers: transfers)
    }

    /// Whether the shares already follow the balance rule: no two masters differ by more than one slot.
    public static func isEven(_ counts: [String: Int]) -> Bool {
        guard let low = counts.values.min(), let high = counts.values.max() else { return true }
        return high - low <= 1
    }

    /// Each master's share: floor(16384/n), plus one for the `16384 mod n` masters holding the most
    /// now (ties: the earlier in `masters`), which keeps the number of moved slots minimal.
    public static func targetCounts(masters: [String], holding: [String: Int]) -> [String: Int] {
        guard !masters.isEmpty else { return [:] }
        let floor = SlotRange.slotCount / masters.count
        let extra = SlotRange.slotCount % masters.count
        let byHolding = masters.enumerated().sorted { lhs, rhs in
            let (left, right) = (holding[lhs.element] ?? 0, holding[rhs.element] ?? 0)
            return left != right ? left > right : lhs.offset < rhs.offset
        }
        var counts: [String: Int] = [:]
        for (rank, entry) in byHolding.enumerated() { counts[entry.element] = floor + (rank < extra ? 1 : 0) }
        return counts
    }
}

/// Shrinking: the leaving masters' slots go to every remaining master, evenly.
public enum Drain {
    public static func plan(current: [String: [SlotRange]], remaining: [String], leaving: Set<String>) throws -> RebalancePlan {
        let staying = remaining.filter { !leaving.contains($0) }
        return try Rebalance.plan(current: current, target: staying)
    }
}
