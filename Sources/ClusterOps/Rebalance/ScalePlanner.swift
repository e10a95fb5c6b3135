/// A pod as `scale` found it: its place in the StatefulSet order and its role in the cluster.
public struct ScaleMember: Hashable, Sendable {
    public enum Role: Hashable, Sendable {
        /// Running but not (yet) part of the cluster, or a pod still to be created.
        case fresh
        /// A master; `slots` may be empty (a new or drained master).
        case master(slots: [SlotRange])
        /// A replica of the master pod with this name (nil: of a node that is no pod of ours).
        case replica(of: String?)
    }

    public var candidate: LayoutCandidate
    public var ordinal: Int
    public var role: Role

    public init(candidate: LayoutCandidate, ordinal: Int, role: Role) {
        self.candidate = candidate
        self.ordinal = ordinal
        self.role = role
    }

    public var name: String { candidate.name }

    var isMaster: Bool { if case .master = role { true } else { false } }
    var slots: [SlotRange] { if case .master(let slots) = role { slots } else { [] } }
    var masterName: String? { if case .replica(let master) = role { master } else { nil } }
}

/// One replica to (re)attach: `replica` replicates `master` (pod names).
public struct ReplicaAssignment: Hashable, Sendable, Codable, CustomStringConvertible {
    public var replica: String
    public var master: String

    public init(replica: String, master: String) {
        self.replica = replica
        self.master = master
    }

    public var description: String { "\(replica) replicates \(master)" }
}

/// Everything `scale` changes, named by pod (slot moves too: their ids are pod names).
public struct ScalePlan: Hashable, Sendable, Codable {
    public var podCountBefore: Int
    public var podCountAfter: Int
    public var masters: Int
    public var replicasPerMaster: Int
    /// Pods to create (growing), by name.
    public var addedPods: [String]
    /// Replicas of leaving masters promoted in place (CLUSTER FAILOVER) so the slots need not move.
    public var failovers: [String]
    /// The masters after the scale, in ordinal order.
    public var finalMasters: [String]
    /// Pods to introduce to the cluster (CLUSTER MEET).
    public var meet: [String]
    /// Replicas attached before slots move (new replicas, and replicas whose master leaves).
    public var replicas: [ReplicaAssignment]
    /// Masters beyond the wanted count that stay as pods: drained, then attached as replicas.
    public var demoted: [ReplicaAssignment]
    /// Pods that leave (highest ordinals): forgotten by every node, then removed.
    public var leaving: [String]
    public var rebalance: RebalancePlan
    public var warnings: [String]

    public var changesNothing: Bool {
        addedPods.isEmpty && failovers.isEmpty && meet.isEmpty && replicas.isEmpty && demoted.isEmpty
            && leaving.isEmpty && rebalance.isEmpty
    }
}

/// Plans a scale from the pods' observed roles: which pods come and go (the highest ordinals, as a
/// StatefulSet does), who is master, where replicas attach (outside their master's failure domain
/// when the pods allow), and which slots move (`Rebalance`, with pod names as ids).
public enum ScalePlanner {
    /// `podName(ordinal)` names pods that do not exist yet.
    public static func plan(members: [ScaleMember], masters: Int, replicasPerMaster: Int,
                            podName: (Int) -> String) throws -> ScalePlan {
        guard masters >= ClusterLayout.minimumMasters else {
            throw ClusterOpsError(.invalidLayout, "a cluster needs at least \(ClusterLayout.minimumMasters) masters, \(masters) requested", category: .usage)
        }
        guard masters <= SlotRange.slotCount, replicasPerMaster >= 0 else {
            throw ClusterOpsError(.invalidLayout, "--masters must be 3...16384 and --replicas-per-master 0 or more", category: .usage)
        }
        let sorted = members.sorted { $0.ordinal < $1.ordinal }
        let podCount = masters * (1 + replicasPerMaster)
        let before = (sorted.last?.ordinal).map { $0 + 1 } ?? 0
        var remaining = sorted.filter { $0.ordinal < podCount }
        let leaving = sorted.filter { $0.ordinal >= podCount }
        let leavingNames = Set(leaving.map(\.name))
        let template = remaining.last?.candidate.failureDomain ?? FailureDomain()
        var added: [String] = []
        for ordinal in before..<max(before, podCount) {
            let name = podName(ordinal)
            added.append(name)
            remaining.append(ScaleMember(candidate: LayoutCandidate(name: name, host: "", port: 0, failureDomain: template),
                                         ordinal: ordinal, role: .fresh))
        }

        // Masters: those already serving slots first, then empty ones, each by ordinal.
        let currentMasters = remaining.filter(\.isMaster).sorted { ($0.slots.isEmpty ? 1 : 0, $0.ordinal) < ($1.slots.isEmpty ? 1 : 0, $1.ordinal) }
        var finalMasters = Array(currentMasters.prefix(masters))
        let demotedMasters = Array(currentMasters.dropFirst(masters))
        var failovers: [String] = []
        if finalMasters.count < masters {
            // A replica of a leaving master takes over its master's slots in place: nothing moves.
            let promotable = remaining.filter { member in
                guard let master = member.masterName, leavingNames.contains(master) else { return false }
                return !(leaving.first { $0.name == master }?.slots.isEmpty ?? true)
            }
            var promotedMasters: Set<String> = []
            for member in promotable where finalMasters.count < masters {
                guard let master = member.masterName, promotedMasters.insert(master).inserted else { continue }
                failovers.append(member.name)
                finalMasters.append(member)
            }
        }
        if finalMasters.count < masters {
            let fresh = remaining.filter { $0.role == .fresh }
            finalMasters += fresh.prefix(masters - finalMasters.count)
        }
        guard finalMasters.count == masters else {
            throw ClusterOpsError(.invalidLayout,
                "only \(finalMasters.count) of the \(masters) masters can be found among pods 0...\(podCount - 1): the others are replicas of masters that stay; run scale again after a manual CLUSTER FAILOVER, or pick other sizes",
                category: .cannotRun)
        }
        finalMasters.sort { $0.ordinal < $1.ordinal }
        let masterNames = Set(finalMasters.map(\.name))

        // Replicas that already serve a final master stay (up to the wanted count).
        var siblings: [String: [ScaleMember]] = [:]
        var free: [ScaleMember] = []
        for member in remaining where !masterNames.contains(member.name) {
            if let master = member.masterName, masterNames.contains(master),
               siblings[master, default: []].count < replicasPerMaster, !failovers.contains(member.name) {
                siblings[master, default: []].append(member)
            } else {
                free.append(member)
            }
        }
        var replicas: [ReplicaAssignment] = []
        var demoted: [ReplicaAssignment] = []
        let demotedNames = Set(demotedMasters.map(\.name))
        // Round by round, one replica for every master still short of them, as a minimum-cost
        // assignment (as init-cluster places replicas), so one early pick cannot corner a later master.
        for _ in 0..<replicasPerMaster {
            let short = finalMasters.filter { siblings[$0.name, default: []].count < replicasPerMaster }
            guard !short.isEmpty, !free.isEmpty else { break }
            let rows = Array(short.prefix(free.count))
            let costs = rows.map { master in free.map { cost(of: $0, for: master, siblings: siblings[master.name] ?? []) } }
            let picks = minimumCostAssignment(costs)
            for (row, column) in picks.enumerated() {
                let member = free[column]
                siblings[rows[row].name, default: []].append(member)
                let assignment = ReplicaAssignment(replica: member.name, master: rows[row].name)
                if demotedNames.contains(member.name) { demoted.append(assignment) } else { replicas.append(assignment) }
            }
            let taken = Set(picks)
            free = free.enumerated().filter { !taken.contains($0.offset) }.map(\.element)
        }
        // One machine for everything (the local platform) is a deliberate setup, not worth a warning.
        var warnings: [String] = []
        let machines = Set(remaining.filter { !$0.candidate.host.isEmpty }.map(\.candidate.machineKey))
        for assignment in replicas + demoted where machines.count > 1 {
            guard let replica = remaining.first(where: { $0.name == assignment.replica }),
                  let master = finalMasters.first(where: { $0.name == assignment.master }),
                  !replica.candidate.host.isEmpty, !master.candidate.host.isEmpty else { continue }
            if replica.candidate.machineKey == master.candidate.machineKey {
                warnings.append("replica \(replica.name) shares its machine with its master \(master.name)")
            }
        }

        var current: [String: [SlotRange]] = [:]
        for member in sorted where !member.slots.isEmpty { current[member.name] = member.slots }
        // A failover hands the leaving master's slots to its replica as they are.
        for name in failovers {
            guard let replica = remaining.first(where: { $0.name == name }), let master = replica.masterName,
                  let slots = current.removeValue(forKey: master) else { continue }
            current[name] = slots
        }
        // Slots move when the set of masters changes, and also when the same masters hold uneven
        // shares (a killed scale leaves them so): every scale ends with the even layout.
        let mastersChange = Set(current.keys) != masterNames
        let rebalance = mastersChange || !Rebalance.isEven(current.mapValues(SlotRange.count(of:)))
            ? try Rebalance.plan(current: current, target: finalMasters.map(\.name))
            : RebalancePlan(targetCounts: current.mapValues(SlotRange.count(of:)), transfers: [])
        let meet = remaining.filter { $0.role == .fresh }.map(\.name)
        return ScalePlan(podCountBefore: before, podCountAfter: podCount, masters: masters,
                         replicasPerMaster: replicasPerMaster, addedPods: added, failovers: failovers,
                         finalMasters: finalMasters.map(\.name), meet: meet, replicas: replicas, demoted: demoted,
                         leaving: leaving.map(\.name), rebalance: rebalance, warnings: warnings)
    }

    /// How badly `member` would replicate `master`: on its machine, in its zone, next to its other
    /// replicas (each worse than all below it together); the ordinal breaks ties.
    private static func cost(of member: ScaleMember, for master: ScaleMember, siblings: [ScaleMember]) -> Int {
        var cost = member.ordinal
        let domain = member.candidate.failureDomain
        if member.candidate.machineKey == master.candidate.machineKey { cost += 1 << 40 }
        if let zone = domain.zone, zone == master.candidate.failureDomain.zone { cost += 1 << 32 }
        for sibling in siblings {
            if member.candidate.machineKey == sibling.candidate.machineKey { cost += 1 << 24 }
            if let zone = domain.zone, zone == sibling.candidate.failureDomain.zone { cost += 1 << 16 }
        }
        return cost
    }
}
