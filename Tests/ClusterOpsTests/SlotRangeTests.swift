import Testing
import Foundation
@testable import ClusterOps

@Suite struct SlotRangeTests {
    @Test func describesSingleSlotsAndRanges() {
        #expect(SlotRange(0, 5460).description == "0-5460")
        #expect(SlotRange(slot: 42).description == "42")
        #expect(SlotRange(0, 5460).count == 5461)
        #expect(SlotRange.all.count == 16384)
    }

    @Test func parsesValidAndRejectsInvalid() {
        #expect(SlotRange(parsing: "0-5460") == SlotRange(0, 5460))
        #expect(SlotRange(parsing: "16383") == SlotRange(slot: 16383))
        for bad in ["", "-", "5-", "-5", "16384", "10-5", "a-b", "1-2-3", "-1"] {
            #expect(SlotRange(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func containsIsInclusive() {
        let range = SlotRange(10, 20)
        #expect(range.contains(10) && range.contains(20))
        #expect(!range.contains(9) && !range.contains(21))
    }

    @Test func rangesFromSlotsAreSortedAndJoined() {
        #expect(SlotRange.ranges(covering: [5, 3, 4, 10, 11, 0, 4]) == [SlotRange(0, 0), SlotRange(3, 5), SlotRange(10, 11)])
        #expect(SlotRange.ranges(covering: [Int]()) == [])
    }

    @Test func mergeJoinsOverlappingAndAdjacent() {
        let merged = SlotRange.merge([SlotRange(10, 20), SlotRange(0, 5), SlotRange(6, 9), SlotRange(15, 30), SlotRange(40, 40)])
        #expect(merged == [SlotRange(0, 30), SlotRange(40, 40)])
        #expect(SlotRange.count(of: [SlotRange(0, 10), SlotRange(5, 15)]) == 16)
    }

    @Test func subtractLeavesTheRest() {
        #expect(SlotRange.subtract([SlotRange(5, 9)], from: [SlotRange(0, 20)]) == [SlotRange(0, 4), SlotRange(10, 20)])
        #expect(SlotRange.subtract([SlotRange(0, 20)], from: [SlotRange(5, 9)]) == [])
        #expect(SlotRange.subtract([], from: [SlotRange(5, 9)]) == [SlotRange(5, 9)])
        #expect(SlotRange.subtract([SlotRange(0, 0), SlotRange(20, 30)], from: [SlotRange(0, 25)]) == [SlotRange(1, 19)])
    }

    @Test func slotMapTracksOwnersGapsAndConflicts() {
        var map = SlotMap()
        map.assign(SlotRange(0, 99), to: "a")
        map.assign(SlotRange(200, 16383), to: "b")
        map.assign(SlotRange(50, 50), to: "c")
        #expect(map.owner(ofSlot: 50) == "a")
        #expect(map.conflicts == [50: ["a", "c"]])
        #expect(map.owner(ofSlot: 150) == nil)
        #expect(map.owner(ofSlot: 99_999) == nil)
        #expect(map.assignedCount == 16384 - 100)
        #expect(map.unassignedRanges == [SlotRange(100, 199)])
        #expect(map.ranges(ownedBy: "b") == [SlotRange(200, 16383)])
        #expect(map.rangesByOwner.map(\.owner) == ["a", "b"])
    }

    @Test func codableAsStartAndEnd() throws {
        let data = try JSONEncoder().encode(SlotRange(1, 2))
        #expect(String(decoding: data, as: UTF8.self) == #"{"end":2,"start":1}"# || String(decoding: data, as: UTF8.self) == #"{"start":1,"end":2}"#)
        #expect(try JSONDecoder().decode(SlotRange.self, from: data) == SlotRange(1, 2))
    }
}
