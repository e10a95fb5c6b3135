import Testing
@testable import ClusterOps

@Suite struct OpenSlotRecoveryTests {
    static let a = String(repeating: "a", count: 40)
    static let b = String(repeating: "b", count: 40)
    static let c = String(repeating: "c", count: 40)

    static func master(_ id: String, _ slots: [SlotRange], migrating: [(Int, String)] = [], importing: [(Int, String)] = []) -> ClusterNode {
        ClusterNode(id: id, host: "10.0.0.1", port: 6379, flags: [.myself, .master], slots: slots,
                    migrating: migrating.map { .init(slot: $0.0, peerId: $0.1) },
                    importing: importing.map { .init(slot: $0.0, peerId: $0.1) })
    }

    @Test func nothingOpenNothingToDo() {
        #expect(OpenSlotRecovery.actions(masters: [Self.master(Self.a, [SlotRange(0, 8191)]), Self.master(Self.b, [SlotRange(8192, 16383)])]).isEmpty)
    }

    @Test func bothEndsOpenIsFinished() {
        let actions = OpenSlotRecovery.actions(masters: [
            Self.master(Self.a, [SlotRange(0, 8191)], migrating: [(100, Self.b)]),
            Self.master(Self.b, [SlotRange(8192, 16383)], importing: [(100, Self.a)]),
        ])
        #expect(actions == [.finish(slot: 100, source: Self.a, target: Self.b)])
    }

    @Test func onlyTheTargetOpenIsFinishedToo() {
        // Killed between SETSLOT IMPORTING and MIGRATING: the move is simply done again.
        let actions = OpenSlotRecovery.actions(masters: [
            Self.master(Self.a, [SlotRange(0, 8191)]),
            Self.master(Self.b, [SlotRange(8192, 16383)], importing: [(7, Self.a)]),
        ])
        #expect(actions == [.finish(slot: 7, source: Self.a, target: Self.b)])
    }

    @Test func targetAlreadyOwningIsSettled() {
        // Killed after SETSLOT NODE on the target, before the source heard.
        let actions = OpenSlotRecovery.actions(masters: [
            Self.master(Self.a, [SlotRange(0, 8191)], migrating: [(100, Self.b)]),
            Self.master(Self.b, [SlotRange(100, 100), SlotRange(8192, 16383)]),
        ])
        #expect(actions == [.settle(slot: 100, owner: Self.b)])
    }

    @Test func goneTargetIsRolledBack() {
        let actions = OpenSlotRecovery.actions(masters: [
            Self.master(Self.a, [SlotRange(0, 16383)], migrating: [(5, Self.c)]),
        ])
        #expect(actions == [.rollback(slot: 5, nodes: [Self.a])])
    }

    /// The source c died mid-move and its replica a took over slot 10: b may hold keys already
    /// moved, so the move goes on from a (settling to a would strand them on b).
    @Test func importerWhoseSourceDiedTakesTheSlotFromItsNewOwner() {
        let actions = OpenSlotRecovery.actions(masters: [
            Self.master(Self.a, [SlotRange(0, 8191)]),
            Self.master(Self.b, [SlotRange(8192, 16383)], importing: [(10, Self.c)]),
        ])
        #expect(actions == [.finish(slot: 10, source: Self.a, target: Self.b)])
    }
}
