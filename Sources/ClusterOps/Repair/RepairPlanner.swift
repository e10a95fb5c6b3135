/// One node as `repair` saw it: where it is, where it runs, and its view of the cluster.
public struct RepairMember: Sendable {
    public var address: MemberAddress
    public var failureDomain: FailureDomain
    /// Its own `CLUSTER NODES`.
    public var topology: ClusterTopology

    public init(address: MemberAddress, failureDomain: FailureDomain, topology: ClusterTopology) {
        self.address = address
        self.failureDomain = failureDomain
        self.topology = topology
    }

    public var id: String? { topology.myself?.id }
}

/// One thing `repair` does, with the node that does it.
public enum RepairStep: Hashable, Sendable, CustomStringConvertible {
    /// `viewer` lists `peer` at an old address: a CLUSTER MEET to the current one replaces it.
    case refreshAddress(viewer: String, peer: String, host: String, port: Int, busPort: Int)
    /// A slot an interrupted migration left open.
    case closeSlot(OpenSlotAction)
    /// Slots no master serves go to `node` (the one holding their keys, else the one with fewest slots).
    case assignSlots(node: String, nodeId: String, ranges: [SlotRange])
    /// `replica` follows another master (`CLUSTER REPLICATE`).
    case replicate(replica: String, masterId: String, master: String, reason: String)

    /// The phase a step belongs to: steps of one phase run together, then the cluster is read again.
    public var phase: Int {
        switch self {
        case .refreshAddress: 0
        case .closeSlot: 1
        case .assignSlots: 2
        case .replicate: 3
        }
    }

    public var kind: String {
        switch self {
        case .refreshAddress: "refresh-address"
        case .closeSlot: "close-slot"
        case .assignSlots: "assign-slots"
        case .replicate: "replicate"
        }
    }

    public var description: String {
        switch self {
        case .refreshAddress(let viewer, let peer, let host, let port, _):
            "\(viewer) meets \(peer) at its current address \(formatAddress(host: host, port: port))"
        case .closeSlot(let action):
            action.description
        case .assignSlots(let node, _, let ranges):
            "assign uncovered slots \(SlotRange.describe(ranges)) to \(node)"
        case .replicate(let replica, _, let master, let reason):
            "\(replica) replicates \(master) (\(reason))"
        }
    }
}

/// What `repair` would do and what it cannot.
public struct RepairPlan: Sendable {
    public var steps: [RepairStep]
    /// Problems no step fixes, each naming the nodes.
    public var unfixable: [String]

    public init(steps: [RepairStep], unfixable: [String]) {
        self.steps = steps
        self.unfixable = unfixable
    }
}

/// Decides, from what every node reports, how to bring a cluster back to a sound state: peers at
/// their current addresses, no open slots, every slot served, no master without a replica while
/// another has spares, and no replica in its master's failure domain where a swap avoids it.
/// Pure: the command reads the nodes, this decides, the executor acts.
public enum RepairPlanner {
    /// `keysInUncoveredSlots`: for each slot no master serves, the keys each node (by id) holds in it.
    public static func plan(members: [RepairMember], keysInUncoveredSlots: [Int: [String: Int]],
                            replicasPerMaster: Int) -> RepairPlan {
        var steps: [RepairStep] = []
        var unfixable: [String] = []
        let names = Dictionary(members.compactMap { member in member.id.map { ($0, member.address.name) } },
                               uniquingKeysWith: { first, _ in first })
        let selves = members.compactMap(\.topology.myself)
        let current = Dictionary(selves.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let name = { (id: String) in names[id] ?? String(id.prefix(12)) }

        // Addresses: each viewer meets every peer it lists elsewhere than the peer says it is.
        for member in members {
            for peer in member.topology.nodes where !peer.isMyself {
                guard let own = current[peer.id], own.hasAddress, peer.host != own.host || peer.port != own.port else { continue }
                steps.append(.refreshAddress(viewer: member.address.name, peer: name(peer.id), host: own.host,
                                             port: own.port, busPort: own.busPort))
            }
        }

        // Open slots, from the masters' own lines (only a node's own line lists them).
        let masters = selves.filter(\.isMaster)
        steps += OpenSlotRecovery.actions(masters: masters).map { .closeSlot($0) }

        // Uncovered slots: to the one master holding keys there, else to the master with fewest slots.
        let served = SlotRange.merge(masters.flatMap(\.slots))
        let uncovered = SlotRange.subtract(served, from: [SlotRange.all])
        if !uncovered.isEmpty {
            var slotCounts = Dictionary(masters.map { ($0.id, $0.slotCount) }, uniquingKeysWith: { first, _ in first })
            var assigned: [String: [Int]] = [:]
            var contested: [String] = []
            for range in uncovered {
                for slot in range.slots {
                    let holders = (keysInUncoveredSlots[slot] ?? [:]).filter { $0.value > 0 }
                    if holders.count > 1 {
                        contested.append("slot \(slot) has keys on \(holders.keys.sorted().map(name).joined(separator: " and "))")
                        continue
                    }
                    let owner = holders.keys.first.flatMap { id in masters.contains { $0.id == id } ? id : nil }
                        ?? slotCounts.min { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }?.key
                    guard let owner else { continue }
                    assigned[owner, default: []].append(slot)
                    slotCounts[owner, default: 0] += 1
                }
            }
            for (owner, slots) in assigned.sorted(by: { $0.key < $1.key }) {
                steps.append(.assignSlots(node: name(owner), nodeId: owner, ranges: SlotRange.ranges(covering: slots.sorted())))
            }
            if !contested.isEmpty {
                unfixable.append("\(contested.prefix(5).joined(separator: "; "))\(contested.count > 5 ? " (and \(contested.count - 5) more)" : ""): "
                                 + "move the keys to one node, then run repair again")
            }
            if masters.isEmpty { unfixable.append("no master to serve slots \(SlotRange.describe(uncovered))") }
        }

        steps += replicaSteps(members: members, masters: masters, name: name, replicasPerMaster: replicasPerMaster)
        return RepairPlan(steps: steps, unfixable: unfixable)
    }

    /// Orphaned masters first (a spare replica moves, the one that fits the orphan's domain best),
    /// then swaps of replicas that share their master's failure domain.
    static func replicaSteps(members: [RepairMember], masters: [ClusterNode], name: (String) -> String,
                             replicasPerMaster: Int) -> [RepairStep] {
        guard replicasPerMaster > 0 else { return [] }
        let domains = Dictionary(members.compactMap { member in member.id.map { ($0, member.failureDomain) } },
                                 uniquingKeysWith: { first, _ in first })
        let zoneCount = Set(domains.values.compactMap(\.zone)).count
        let cost = { (replica: String, master: String) -> Int in
            guard let r = domains[replica], let m = domains[master] else { return 0 }
            return Self.sharedDomainCost(r, m, zonesKnown: zoneCount)
        }
        // Who follows whom, each replica by its own word.
        var following: [String: String] = [:]
        for member in members {
            if let myself = member.topology.myself, myself.isReplica, let master = myself.masterId { following[myself.id] = master }
        }
        let serving = masters.filter { $0.slotCount > 0 }.map(\.id).sorted()
        let initial = following
        // Each replica's latest reason, in the order replicas were first moved: a replica moved
        // twice while planning is sent to its final master once (each move is a full resync).
        var reasons: [String: String] = [:]
        var order: [String] = []
        let move = { (replica: String, master: String, reason: String) in
            following[replica] = master
            if reasons[replica] == nil { order.append(replica) }
            reasons[replica] = reason
        }
        let replicasOf = { (master: String) in following.filter { $0.value == master }.map(\.key).sorted() }

        for orphan in serving where replicasOf(orphan).isEmpty {
            let donors = serving.filter { replicasOf($0).count >= 2 }
            let candidates = donors.flatMap { donor in replicasOf(donor).map { (replica: $0, donor: donor) } }
            // The move that leaves the fewest shared domains behind.
            guard let best = candidates.min(by: { lhs, rhs in
                let left = cost(lhs.replica, orphan) - cost(lhs.replica, lhs.donor)
                let right = cost(rhs.replica, orphan) - cost(rhs.replica, rhs.donor)
                return left != right ? left < right : lhs.replica < rhs.replica
            }) else { continue }
            let donorReplicas = replicasOf(best.donor).count
            move(best.replica, orphan, "\(name(orphan)) has no replica; \(name(best.donor)) has \(donorReplicas)")
        }

        // Swaps: two replicas change masters where that lowers what they share with them, the
        // largest gain first (each move is a full resync of the replica).
        for _ in 0..<64 {
            let pairs = following.sorted { $0.key < $1.key }
            var best: (first: String, second: String, gain: Int)?
            for (first, firstMaster) in pairs where cost(first, firstMaster) > 0 {
                for (second, secondMaster) in pairs where secondMaster != firstMaster && second != first {
                    let gain = cost(first, firstMaster) + cost(second, secondMaster) - cost(first, secondMaster) - cost(second, firstMaster)
                    if gain > 0, gain > (best?.gain ?? 0) { best = (first, second, gain) }
                }
            }
            guard let best, let firstMaster = following[best.first], let secondMaster = following[best.second] else { break }
            move(best.first, secondMaster, "it shares a failure domain with \(name(firstMaster))")
            move(best.second, firstMaster, "swapped with \(name(best.first))")
        }
        return order.compactMap { replica in
            guard let master = following[replica], master != initial[replica] else { return nil }
            return .replicate(replica: name(replica), masterId: master, master: name(master), reason: reasons[replica] ?? "")
        }
    }

    /// How much a replica and its master share: the machine weighs more than the zone (a zone is
    /// counted only when the nodes span several).
    public static func sharedDomainCost(_ replica: FailureDomain, _ master: FailureDomain, zonesKnown: Int) -> Int {
        var cost = 0
        if let machine = replica.machine, machine == master.machine { cost += 10 }
        if zonesKnown > 1, let zone = replica.zone, zone == master.zone { cost += 1 }
        return cost
    }
}
