/// What to do with a slot an interrupted migration left open (`[slot->-id]` / `[slot-<-id]`).
public enum OpenSlotAction: Hashable, Sendable, CustomStringConvertible {
    /// Both ends are live masters: move the remaining keys and hand the slot to the target.
    case finish(slot: Int, source: String, target: String)
    /// The slot already has its owner; the others only need to be told (`SETSLOT NODE`).
    case settle(slot: Int, owner: String)
    /// The other end is gone: clear the open state on these nodes (`SETSLOT STABLE`); the owner keeps the slot.
    case rollback(slot: Int, nodes: [String])

    public var slot: Int {
        switch self {
        case .finish(let slot, _, _), .settle(let slot, _), .rollback(let slot, _): slot
        }
    }

    public var description: String {
        switch self {
        case .finish(let slot, let source, let target): "finish moving slot \(slot) from \(source) to \(target)"
        case .settle(let slot, let owner): "announce \(owner) as the owner of slot \(slot)"
        case .rollback(let slot, let nodes): "roll back slot \(slot) on \(nodes.joined(separator: ", "))"
        }
    }
}

/// Reads the cluster's own record of unfinished migrations and decides, slot by slot, how to close
/// them. Finishing is preferred: it never strands a key on a node that does not own its slot.
public enum OpenSlotRecovery {
    /// `masters`: each reachable master's view of itself (the `myself` line of its own CLUSTER NODES).
    public static func actions(masters: [ClusterNode]) -> [OpenSlotAction] {
        let live = Dictionary(masters.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var openSlots: Set<Int> = []
        for node in masters {
            openSlots.formUnion(node.migrating.map(\.slot))
            openSlots.formUnion(node.importing.map(\.slot))
        }
        var actions: [OpenSlotAction] = []
        for slot in openSlots.sorted() {
            let claimants = masters.filter { node in node.slots.contains { $0.contains(slot) } }.map(\.id).sorted()
            let migratingTo = Dictionary(masters.compactMap { node in
                node.migrating.first { $0.slot == slot }.map { (node.id, $0.peerId) }
            }, uniquingKeysWith: { first, _ in first })
            let importingFrom = Dictionary(masters.compactMap { node in
                node.importing.first { $0.slot == slot }.map { (node.id, $0.peerId) }
            }, uniquingKeysWith: { first, _ in first })
            let opened = Set(migratingTo.keys).union(importingFrom.keys).sorted()

            // Two claimants: the target took the slot (SETSLOT NODE on itself) before the source heard.
            let owner = claimants.first { id in
                claimants.contains { other in other != id && migratingTo[other] == id }
            } ?? claimants.first

            guard let owner else {
                // Nobody owns it: the node importing it takes it (nothing else can hold its keys).
                if let importer = importingFrom.keys.sorted().first {
                    actions.append(.settle(slot: slot, owner: importer))
                }
                continue
            }
            if let target = migratingTo[owner] ?? importingFrom.first(where: { $0.value == owner })?.key,
               target != owner, live[target] != nil {
                actions.append(.finish(slot: slot, source: owner, target: target))
            } else if let importer = importingFrom.first(where: { $0.key != owner && live[$0.value] == nil })?.key,
                      live[importer] != nil {
                // The source died mid-move and its replica took over the slot: the importer may hold
                // keys already moved, which settling would strand there. The move goes on from the
                // slot's owner now.
                actions.append(.finish(slot: slot, source: owner, target: importer))
            } else if claimants.count > 1 || opened.contains(where: { $0 != owner && importingFrom[$0] != owner }) {
                actions.append(.settle(slot: slot, owner: owner))
            } else {
                actions.append(.rollback(slot: slot, nodes: opened))
            }
        }
        return actions
    }
}
