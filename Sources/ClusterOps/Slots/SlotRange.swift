/// An inclusive range of hash slots, e.g. `0-5460`.
public struct SlotRange: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// Number of hash slots in a Redis Cluster.
    public static let slotCount = 16384
    /// Every slot, `0-16383`.
    public static let all = SlotRange(0, slotCount - 1)

    public let start: Int
    public let end: Int

    /// `start...end`; callers pass `start <= end` (parsed input goes through `init?(parsing:)`).
    public init(_ start: Int, _ end: Int) {
        self.start = min(start, end)
        self.end = max(start, end)
    }

    public init(slot: Int) { self.init(slot, slot) }

    /// Parses `"0-5460"` or `"42"`; nil for anything else or slots outside 0...16383.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let bounds: (Int, Int)
        switch parts.count {
        case 1:
            guard let slot = Int(parts[0]) else { return nil }
            bounds = (slot, slot)
        case 2:
            guard let first = Int(parts[0]), let last = Int(parts[1]) else { return nil }
            bounds = (first, last)
        default:
            return nil
        }
        guard Self.isValidSlot(bounds.0), Self.isValidSlot(bounds.1), bounds.0 <= bounds.1 else { return nil }
        self.init(bounds.0, bounds.1)
    }

    public static func isValidSlot(_ slot: Int) -> Bool { slot >= 0 && slot < slotCount }

    public var count: Int { end - start + 1 }
    public func contains(_ slot: Int) -> Bool { slot >= start && slot <= end }
    public var slots: ClosedRange<Int> { start...end }

    public var description: String { start == end ? "\(start)" : "\(start)-\(end)" }

    public static func < (lhs: SlotRange, rhs: SlotRange) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }

    /// Sorted, non-overlapping ranges covering exactly the given slots.
    public static func ranges(covering slots: some Sequence<Int>) -> [SlotRange] {
        var result: [SlotRange] = []
        for slot in Set(slots).sorted() {
            if let last = result.last, last.end + 1 == slot {
                result[result.count - 1] = SlotRange(last.start, slot)
            } else {
                result.append(SlotRange(slot: slot))
            }
        }
        return result
    }

    /// Sorted, non-overlapping ranges covering the union of `ranges` (adjacent ones joined).
    public static func merge(_ ranges: some Sequence<SlotRange>) -> [SlotRange] {
        var result: [SlotRange] = []
        for range in ranges.sorted() {
            if let last = result.last, range.start <= last.end + 1 {
                result[result.count - 1] = SlotRange(last.start, max(last.end, range.end))
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The slots of `ranges` that are not in `removed`, as sorted ranges.
    public static func subtract(_ removed: some Sequence<SlotRange>, from ranges: some Sequence<SlotRange>) -> [SlotRange] {
        var result: [SlotRange] = []
        let cuts = merge(removed)
        for range in merge(ranges) {
            var cursor = range.start
            for cut in cuts where cut.end >= cursor && cut.start <= range.end {
                if cut.start > cursor { result.append(SlotRange(cursor, cut.start - 1)) }
                cursor = max(cursor, cut.end + 1)
            }
            if cursor <= range.end { result.append(SlotRange(cursor, range.end)) }
        }
        return result
    }

    /// Total slots in `ranges`, counting overlaps once.
    public static func count(of ranges: some Sequence<SlotRange>) -> Int {
        merge(ranges).reduce(0) { $0 + $1.count }
    }

    /// `"0-5460,5461"`-style text for a list of ranges; empty when there are none.
    public static func describe(_ ranges: some Sequence<SlotRange>) -> String {
        ranges.map(\.description).joined(separator: ",")
    }
}

/// Which node owns each of the 16384 slots.
public struct SlotMap: Sendable, Hashable {
    private var owners: [String?]
    /// Slots claimed by more than one node, with every claimant.
    public private(set) var conflicts: [Int: Set<String>] = [:]

    public init() { owners = Array(repeating: nil, count: SlotRange.slotCount) }

    /// Records that `owner` claims `range`; a slot claimed twice keeps its first owner and is
    /// listed in `conflicts`.
    public mutating func assign(_ range: SlotRange, to owner: String) {
        for slot in range.slots where SlotRange.isValidSlot(slot) {
            if let current = owners[slot], current != owner {
                conflicts[slot, default: [current]].insert(owner)
            } else {
                owners[slot] = owner
            }
        }
    }

    public func owner(ofSlot slot: Int) -> String? {
        SlotRange.isValidSlot(slot) ? owners[slot] : nil
    }

    public var assignedCount: Int { owners.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    public var unassignedRanges: [SlotRange] {
        SlotRange.ranges(covering: owners.indices.filter { owners[$0] == nil })
    }

    public func ranges(ownedBy owner: String) -> [SlotRange] {
        SlotRange.ranges(covering: owners.indices.filter { owners[$0] == owner })
    }

    /// Every owner with its ranges, sorted by owner.
    public var rangesByOwner: [(owner: String, ranges: [SlotRange])] {
        var slotsByOwner: [String: [Int]] = [:]
        for (slot, owner) in owners.enumerated() {
            if let owner { slotsByOwner[owner, default: []].append(slot) }
        }
        return slotsByOwner.keys.sorted().map { ($0, SlotRange.ranges(covering: slotsByOwner[$0] ?? [])) }
    }
}
