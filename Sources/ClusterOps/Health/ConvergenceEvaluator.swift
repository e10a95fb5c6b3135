import RESP

/// What one member answered in one look at the cluster: its view (CLUSTER NODES) and, when it
/// answered those too, its CLUSTER INFO and INFO replication.
public struct MemberView: Sendable {
    public var member: MemberAddress
    /// Nil when the node did not answer; `failure` says why.
    public var topology: ClusterTopology?
    public var failure: String?
    public var clusterInfo: InfoSections?
    public var replication: InfoSections?

    public init(member: MemberAddress, topology: ClusterTopology?, failure: String? = nil,
                clusterInfo: InfoSections? = nil, replication: InfoSections? = nil) {
        self.member = member
        self.topology = topology
        self.failure = failure
        self.clusterInfo = clusterInfo
        self.replication = replication
    }
}

/// What "the cluster has converged" means for a step.
public struct ConvergenceGoal: Sendable, Equatable {
    /// Nodes a member knows that are not members are fine (init on nodes that knew others) or a
    /// problem (after scale removed them, every member must have forgotten them).
    public var allowsOtherNodes: Bool
    /// Also every member `cluster_state:ok` and every replica's link up.
    public var requiresServing: Bool
    /// With `requiresServing`: at least this many members report the replica role.
    public var replicaCount: Int?

    public init(allowsOtherNodes: Bool, requiresServing: Bool, replicaCount: Int? = nil) {
        self.allowsOtherNodes = allowsOtherNodes
        self.requiresServing = requiresServing
        self.replicaCount = replicaCount
    }

    /// Every member knows every other over a live bus link, and all hold the same slot map.
    public static let agreement = ConvergenceGoal(allowsOtherNodes: true, requiresServing: false)
}

/// The verdict on one look: what still differs, and which slot views a MEET would refresh.
public struct ConvergenceVerdict: Sendable {
    public var problems: [String]
    /// (owner, viewer): the viewer's copy of the owner's slots differs from the owner's own. A node
    /// learns another's slots from its pings, which come every cluster-node-timeout/2 (7.5 s by
    /// default); a MEET from the owner to a node that knows it is processed as such a ping now.
    public var staleSlotViews: [(owner: MemberAddress, viewer: MemberAddress)]

    public var hasConverged: Bool { problems.isEmpty }
    public var summary: String { problems.joined(separator: "; ") }
}

/// The one test of whether a set of nodes has converged, for every wait that needs one (init's
/// agreement and replication, each step of a scale). Pure: the waits read, this decides.
public enum ConvergenceEvaluator {
    public static func evaluate(_ views: [MemberView], goal: ConvergenceGoal) -> ConvergenceVerdict {
        let silent = views.filter { $0.topology == nil }
        if !silent.isEmpty {
            return ConvergenceVerdict(problems: silent.map { "\($0.member.name): \($0.failure ?? "no answer")" }.sorted(),
                                      staleSlotViews: [])
        }
        var problems: [String] = []
        let ids = Dictionary(views.compactMap { view in view.topology?.myself.map { ($0.id, view.member.name) } },
                             uniquingKeysWith: { first, _ in first })
        for view in views {
            guard let topology = view.topology else { continue }
            // Known, out of handshake, with an address and a live cluster-bus link (a node whose bus
            // port cannot be reached can still be known through its own outgoing MEET).
            let linked = Set(topology.nodes.filter {
                !$0.isHandshake && !$0.flags.contains(.noAddress) && !$0.isFailed && !$0.isPossiblyFailed
                    && ($0.isMyself || $0.linkState == .connected)
            }.map(\.id))
            let unlinked = ids.filter { !linked.contains($0.key) }.map(\.value).sorted()
            if !unlinked.isEmpty {
                problems.append("\(view.member.name) has no cluster-bus link to \(unlinked.joined(separator: ", ")) "
                                + "(check that the cluster bus port, 10000 above the Redis port, is reachable)")
            }
            let others = topology.nodes.filter { ids[$0.id] == nil }
            if !goal.allowsOtherNodes, !others.isEmpty {
                problems.append("\(view.member.name) still knows \(others.count) departed node(s)")
            }
        }
        let stale = staleSlotViews(views)
        if !stale.isEmpty {
            let viewers = Set(stale.map(\.viewer.name)).sorted()
            problems.append("slot maps not yet known to \(viewers.joined(separator: ", "))")
        }
        if goal.requiresServing, problems.isEmpty {
            problems += servingProblems(views, replicaCount: goal.replicaCount)
        }
        return ConvergenceVerdict(problems: problems, staleSlotViews: stale)
    }

    /// Pairs (slot owner, viewer) where the viewer's view of the owner's slots differs from the owner's own.
    static func staleSlotViews(_ views: [MemberView]) -> [(owner: MemberAddress, viewer: MemberAddress)] {
        var stale: [(owner: MemberAddress, viewer: MemberAddress)] = []
        for owner in views {
            guard let own = owner.topology?.myself, !own.slots.isEmpty else { continue }
            for viewer in views where viewer.member != owner.member {
                guard let view = viewer.topology else { continue }
                if view.node(id: own.id)?.slots != own.slots { stale.append((owner.member, viewer.member)) }
            }
        }
        return stale
    }

    /// Every member serves (`cluster_state:ok`), every replica's link is up, and as many members as
    /// expected are replicas. Roles come from the nodes: after a failover the promoted replica is a
    /// master and the old master its replica, which is just as healthy.
    static func servingProblems(_ views: [MemberView], replicaCount: Int?) -> [String] {
        var problems: [String] = []
        var replicas = 0
        for view in views {
            guard let cluster = view.clusterInfo, let replication = view.replication else {
                problems.append("\(view.member.name): no CLUSTER INFO or INFO replication")
                continue
            }
            if cluster.clusterState != "ok" {
                problems.append("\(view.member.name) cluster_state:\(cluster.clusterState ?? "?")")
            }
            if replication.role == .replica {
                replicas += 1
                if replication.masterLinkStatus != "up" {
                    problems.append("\(view.member.name) master_link_status:\(replication.masterLinkStatus ?? "none")")
                }
            }
        }
        if let replicaCount, replicas < replicaCount {
            problems.append("\(replicas)/\(replicaCount) replicas attached")
        }
        return problems
    }
}
