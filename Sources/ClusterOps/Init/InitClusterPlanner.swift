/// One node's cluster state as `init-cluster` found it.
public struct ObservedNodeState: Hashable, Sendable {
    public var nodeId: String
    /// `cluster_known_nodes`, itself included.
    public var knownNodes: Int
    public var configEpoch: Int64
    public var ownedSlots: [SlotRange]
    /// `db0` has keys.
    public var holdsKeys: Bool
    /// The master it replicates, nil for a master.
    public var masterId: String?
    /// Ids of the other nodes it knows (handshakes excluded).
    public var knownNodeIds: Set<String>

    public init(
        nodeId: String, knownNodes: Int = 1, configEpoch: Int64 = 0, ownedSlots: [SlotRange] = [],
        holdsKeys: Bool = false, masterId: String? = nil, knownNodeIds: Set<String> = []
    ) {
        self.nodeId = nodeId
        self.knownNodes = knownNodes
        self.configEpoch = configEpoch
        self.ownedSlots = ownedSlots
        self.holdsKeys = holdsKeys
        self.masterId = masterId
        self.knownNodeIds = knownNodeIds
    }

    /// Has never joined anything: knows only itself and has no epoch yet.
    public var isFresh: Bool { configEpoch == 0 && knownNodes <= 1 && knownNodeIds.isEmpty }
}

/// One idempotent step towards the planned cluster; nodes are named by candidate name.
public enum InitStep: Hashable, Sendable, Codable, CustomStringConvertible {
    case assignSlots(node: String, ranges: [SlotRange])
    case setConfigEpoch(node: String, epoch: Int)
    case meet(node: String, with: String)
    case replicate(replica: String, masterId: String)

    public var description: String {
        switch self {
        case .assignSlots(let node, let ranges): "assign slots \(SlotRange.describe(ranges)) to \(node)"
        case .setConfigEpoch(let node, let epoch): "set config epoch \(epoch) on \(node)"
        case .meet(let node, let other): "introduce \(node) to \(other)"
        case .replicate(let replica, let masterId): "make \(replica) a replica of \(masterId)"
        }
    }
}

/// Compares a layout with what the nodes report and lists what is still to do, so an
/// interrupted `init-cluster` resumes where it stopped and a formed cluster needs nothing.
public enum InitClusterPlanner {
    /// Steps in the order to run them: slots, config epochs, meets (every unacquainted pair), replication.
    /// Throws, naming the node, when a node holds data or belongs to something else.
    public static func nextSteps(layout: LayoutPlan, observed: [String: ObservedNodeState]) throws -> [InitStep] {
        let members = layout.members
        var states: [String: ObservedNodeState] = [:]
        for member in members {
            guard let state = observed[member.name] else {
                throw ClusterOpsError(.missingObservation, "no state observed for \(member.label)")
            }
            states[member.name] = state
        }
        let memberIds = Set(states.values.map(\.nodeId))
        for member in members {
            guard let state = states[member.name] else { continue }
            let strangers = state.knownNodeIds.subtracting(memberIds)
            if !strangers.isEmpty {
                throw ClusterOpsError(
                    .foreignCluster,
                    "\(member.label) knows \(strangers.count) node(s) outside this layout (\(strangers.sorted().prefix(3).joined(separator: ", "))): it belongs to another cluster; reset it (CLUSTER RESET) or leave it out"
                )
            }
        }

        var assignSteps: [InitStep] = []
        var replicateSteps: [InitStep] = []
        for master in layout.masters {
            let shard = [master.candidate] + layout.replicas(ofMaster: master.candidate.name).map(\.candidate)
            let (assign, replicate) = try shardSteps(shard: shard, slots: master.slots, states: states)
            assignSteps += assign
            replicateSteps += replicate
        }

        var epochSteps: [InitStep] = []
        for (index, member) in members.enumerated() {
            guard let state = states[member.name], state.isFresh else { continue }
            // Masters take their planned epochs 1...m, replicas the following ones: all distinct,
            // so the cluster starts without epoch collisions to resolve.
            let epoch = layout.masters.first { $0.candidate.name == member.name }?.configEpoch ?? index + 1
            epochSteps.append(.setConfigEpoch(node: member.name, epoch: epoch))
        }

        // Every pair that has not met yet meets directly (the earlier member sends MEET). redis-cli
        // meets one anchor and waits for gossip to spread the rest, which takes seconds; direct
        // meets make the handshakes happen at once and cost one command per pair.
        var meetSteps: [InitStep] = []
        for (index, member) in members.enumerated() {
            guard let state = states[member.name] else { continue }
            for other in members[(index + 1)...] {
                guard let otherState = states[other.name] else { continue }
                let acquainted = state.knownNodeIds.contains(otherState.nodeId) || otherState.knownNodeIds.contains(state.nodeId)
                if !acquainted { meetSteps.append(.meet(node: member.name, with: other.name)) }
            }
        }
        return assignSteps + epochSteps + meetSteps + replicateSteps
    }

    /// A shard is a master and its replicas. After a failover a replica may own the shard's
    /// slots; that is still a formed shard, so whichever member owns the slots is its primary.
    private static func shardSteps(shard: [LayoutCandidate], slots: SlotRange, states: [String: ObservedNodeState]) throws -> (assign: [InitStep], replicate: [InitStep]) {
        var owners: [LayoutCandidate] = []
        for member in shard {
            guard let state = states[member.name], !state.ownedSlots.isEmpty else { continue }
            let outside = SlotRange.subtract([slots], from: state.ownedSlots)
            if !outside.isEmpty {
                throw ClusterOpsError(
                    .slotConflict,
                    "\(member.label) owns slots \(SlotRange.describe(outside)) that the plan does not give its shard (\(slots)); reset it or plan around it"
                )
            }
            owners.append(member)
        }
        if owners.count > 1 {
            throw ClusterOpsError(.slotConflict, "\(owners.map(\.name).joined(separator: " and ")) both own slots of range \(slots); only one may")
        }
        guard let planned = shard.first else { return ([], []) }
        let primary = owners.first ?? planned
        guard let primaryState = states[primary.name] else { return ([], []) }

        var assign: [InitStep] = []
        let missing = SlotRange.subtract(primaryState.ownedSlots, from: [slots])
        if !missing.isEmpty {
            // Adding slots to a node that has keys would serve keys it may not own.
            if primaryState.holdsKeys && primaryState.ownedSlots.isEmpty {
                throw notEmpty(primary)
            }
            if let masterId = primaryState.masterId {
                throw ClusterOpsError(.slotConflict, "\(primary.label) should be a master but replicates \(masterId); reset it (CLUSTER RESET) first")
            }
            assign.append(.assignSlots(node: primary.name, ranges: missing))
        }

        var replicate: [InitStep] = []
        for member in shard where member.name != primary.name {
            guard let state = states[member.name], state.masterId != primaryState.nodeId else { continue }
            // REPLICATE wipes the node's data.
            if state.holdsKeys { throw notEmpty(member) }
            replicate.append(.replicate(replica: member.name, masterId: primaryState.nodeId))
        }
        return (assign, replicate)
    }

    private static func notEmpty(_ candidate: LayoutCandidate) -> ClusterOpsError {
        ClusterOpsError(
            .nodeNotEmpty,
            "\(candidate.label) holds keys but is not yet part of this cluster; empty it (FLUSHALL) or leave it out"
        )
    }
}
