/// What was seen on one node during `verify`, gathered before evaluation so the evaluation is pure.
public struct NodeObservation: Hashable, Sendable {
    public enum Reachability: Hashable, Sendable {
        case reachable
        case unreachable(String)
        case authenticationFailed(String)
    }

    public var name: String
    /// The address the cluster knows the node by (pod IP), not a tunnel's.
    public var host: String
    public var port: Int
    public var failureDomain: FailureDomain
    public var reachability: Reachability
    /// Whether a connection without the password was refused; nil when not tried.
    public var unauthenticatedAccessRefused: Bool?
    public var info: InfoSections?
    public var clusterInfo: InfoSections?
    /// This node's `CLUSTER NODES`.
    public var topology: ClusterTopology?

    public init(
        name: String, host: String, port: Int, failureDomain: FailureDomain = FailureDomain(),
        reachability: Reachability, unauthenticatedAccessRefused: Bool? = nil,
        info: InfoSections? = nil, clusterInfo: InfoSections? = nil, topology: ClusterTopology? = nil
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.failureDomain = failureDomain
        self.reachability = reachability
        self.unauthenticatedAccessRefused = unauthenticatedAccessRefused
        self.info = info
        self.clusterInfo = clusterInfo
        self.topology = topology
    }

    public var address: String { formatAddress(host: host, port: port) }
    public var isReachable: Bool { reachability == .reachable }
}

/// What the deployment is supposed to look like.
public struct ClusterExpectations: Hashable, Sendable {
    public var replicasPerMaster: Int
    public var appendonly: Bool
    /// RDB save points are configured.
    public var rdbEnabled: Bool
    public var memoryWarnRatio: Double
    public var memoryFailRatio: Double
    /// Masters plus replicas the deployment should have.
    public var expectedNodeCount: Int

    public init(
        replicasPerMaster: Int, appendonly: Bool, rdbEnabled: Bool,
        memoryWarnRatio: Double = 0.90, memoryFailRatio: Double = 0.95, expectedNodeCount: Int
    ) {
        self.replicasPerMaster = replicasPerMaster
        self.appendonly = appendonly
        self.rdbEnabled = rdbEnabled
        self.memoryWarnRatio = memoryWarnRatio
        self.memoryFailRatio = memoryFailRatio
        self.expectedNodeCount = expectedNodeCount
    }
}

/// Turns observations into `verify`'s checks and node table.
public enum HealthEvaluator {
    /// Every check, in report order.
    public static let checkNames = [
        "nodes-reachable", "auth-required", "cluster-state", "slots-covered", "slot-map-agreement",
        "peer-addresses", "open-slots", "replicas", "replica-placement", "persistence", "memory", "evictions", "node-count",
    ]

    public static func evaluate(cluster: String, observations: [NodeObservation], expectations: ClusterExpectations) -> HealthReport {
        let view = ClusterView(observations: observations)
        let checks = [
            nodesReachable(view), authRequired(view), clusterState(view), slotsCovered(view),
            slotMapAgreement(view), peerAddresses(view), openSlots(view), replicas(view, expectations), replicaPlacement(view),
            persistence(view, expectations), memory(view, expectations), evictions(view), nodeCount(view, expectations),
        ]
        return HealthReport(cluster: cluster, checks: checks, nodes: nodeReports(view))
    }

    // MARK: Checks

    static func nodesReachable(_ view: ClusterView) -> HealthCheck {
        let name = "nodes-reachable"
        guard !view.observations.isEmpty else { return HealthCheck(name: name, status: .fail, message: "no nodes to check") }
        let problems = view.observations.compactMap { observation -> String? in
            switch observation.reachability {
            case .reachable: nil
            case .unreachable(let reason): "\(observation.name) (\(reason))"
            case .authenticationFailed(let reason): "\(observation.name) (authentication failed: \(reason))"
            }
        }
        if problems.isEmpty {
            return HealthCheck(name: name, status: .pass, message: "all \(view.observations.count) nodes reachable and authenticated")
        }
        return HealthCheck(name: name, status: .fail, message: "\(problems.count) of \(view.observations.count) nodes not usable: \(problems.joined(separator: ", "))")
    }

    static func authRequired(_ view: ClusterView) -> HealthCheck {
        let name = "auth-required"
        let open = view.observations.filter { $0.unauthenticatedAccessRefused == false }.map(\.name)
        let tested = view.observations.filter { $0.unauthenticatedAccessRefused != nil }
        if !open.isEmpty {
            return HealthCheck(name: name, status: .fail, message: "commands run without a password on \(list(open))")
        }
        if tested.isEmpty {
            return HealthCheck(name: name, status: .warn, message: "could not test on any node")
        }
        let untested = view.observations.filter { $0.unauthenticatedAccessRefused == nil }.map(\.name)
        let suffix = untested.isEmpty ? "" : " (not tested: \(list(untested)))"
        return HealthCheck(name: name, status: .pass, message: "a connection without the password is refused on \(tested.count) nodes\(suffix)")
    }

    static func clusterState(_ view: ClusterView) -> HealthCheck {
        let name = "cluster-state"
        guard !view.reachable.isEmpty else { return HealthCheck(name: name, status: .fail, message: "no node answered") }
        let bad = view.reachable.compactMap { observation -> String? in
            guard let state = observation.clusterInfo?.clusterState else { return "\(observation.name) (no CLUSTER INFO)" }
            return state == "ok" ? nil : "\(observation.name) (\(state))"
        }
        if bad.isEmpty {
            return HealthCheck(name: name, status: .pass, message: "cluster_state:ok on all \(view.reachable.count) reachable nodes")
        }
        return HealthCheck(name: name, status: .fail, message: "cluster_state not ok on \(bad.joined(separator: ", "))")
    }

    static func slotsCovered(_ view: ClusterView) -> HealthCheck {
        let name = "slots-covered"
        guard let reference = view.reference else {
            return HealthCheck(name: name, status: .fail, message: "no node reported its slot map")
        }
        let assigned = reference.assignedSlotCount
        var message = "\(assigned)/\(SlotRange.slotCount) slots assigned"
        var status = HealthCheck.Status.pass
        if assigned < SlotRange.slotCount {
            status = .fail
            message += "; unassigned: \(abbreviated(reference.slotMap.unassignedRanges.map(\.description)))"
        }
        let failedOwners = reference.nodes.filter { $0.isFailed && $0.slotCount > 0 }
        if !failedOwners.isEmpty {
            status = .fail
            let owners = failedOwners.map { "\(view.name(ofNode: $0.id)) (\($0.slotCount))" }
            message += "; served by failed nodes: \(owners.joined(separator: ", "))"
        }
        return HealthCheck(name: name, status: status, message: message)
    }

    static func slotMapAgreement(_ view: ClusterView) -> HealthCheck {
        let name = "slot-map-agreement"
        let groups = view.signatureGroups
        guard let majority = groups.first else {
            return HealthCheck(name: name, status: .fail, message: "no node reported CLUSTER NODES")
        }
        if groups.count == 1 {
            return HealthCheck(name: name, status: .pass, message: "all \(majority.count) reporting nodes agree on the slot map")
        }
        let disagreeing = groups.dropFirst().flatMap { $0 }.map(\.name)
        return HealthCheck(
            name: name, status: .fail,
            message: "\(list(disagreeing)) disagree with the slot map of \(list(majority.map(\.name)))"
        )
    }

    /// Every node lists every peer at the address the peer gives for itself. After pods restart on
    /// new IPs a node can keep a peer's old one: `cluster_state` stays ok for a while, but its
    /// redirects send clients to a dead address and, after the node timeout, it fails the peer.
    static func peerAddresses(_ view: ClusterView) -> HealthCheck {
        let name = "peer-addresses"
        var current: [String: ClusterNode] = [:]
        for observation in view.reachable {
            if let myself = observation.topology?.myself, myself.hasAddress { current[myself.id] = myself }
        }
        var entries: [String] = []
        for observation in view.reachable {
            guard let topology = observation.topology else { continue }
            for peer in topology.nodes where !peer.isMyself {
                guard let own = current[peer.id], peer.host != own.host || peer.port != own.port else { continue }
                let listed = peer.hasAddress ? peer.address : "no address"
                entries.append("\(observation.name) lists \(view.name(ofNode: peer.id)) at \(listed), it is at \(own.address)")
            }
        }
        if entries.isEmpty {
            return HealthCheck(name: name, status: .pass, message: "every node lists its peers at their current addresses")
        }
        return HealthCheck(name: name, status: .fail, message: abbreviated(entries.sorted(), separator: "; ")
                           + " (`redisctl repair` meets them again at their current addresses)")
    }

    static func openSlots(_ view: ClusterView) -> HealthCheck {
        let name = "open-slots"
        var entries: [String] = []
        for observation in view.reachable {
            // Only a node's own line lists its migrating and importing slots.
            guard let myself = observation.topology?.myself else { continue }
            for move in myself.migrating {
                entries.append("\(observation.name) migrating slot \(move.slot) to \(view.name(ofNode: move.peerId))")
            }
            for move in myself.importing {
                entries.append("\(observation.name) importing slot \(move.slot) from \(view.name(ofNode: move.peerId))")
            }
        }
        if entries.isEmpty { return HealthCheck(name: name, status: .pass, message: "no slots migrating or importing") }
        return HealthCheck(name: name, status: .fail, message: abbreviated(entries, separator: "; "))
    }

    static func replicas(_ view: ClusterView, _ expectations: ClusterExpectations) -> HealthCheck {
        let name = "replicas"
        guard let reference = view.reference else {
            return HealthCheck(name: name, status: .fail, message: "no node reported the cluster topology")
        }
        var short: [String] = []
        var down: [String] = []
        let masters = reference.nodes.filter { $0.isMaster && !$0.isFailed && $0.slotCount > 0 }
        for master in masters {
            var up = 0
            for replica in reference.replicas(of: master.id) where !replica.isFailed && !replica.isHandshake {
                if view.replicaLinkIsUp(replica) {
                    up += 1
                } else {
                    down.append(view.name(ofNode: replica.id))
                }
            }
            if up < expectations.replicasPerMaster {
                short.append("\(view.name(ofNode: master.id)) has \(up)/\(expectations.replicasPerMaster)")
            }
        }
        var parts: [String] = []
        if !short.isEmpty { parts.append("masters short of replicas: \(short.joined(separator: ", "))") }
        if !down.isEmpty { parts.append("replica link down: \(list(down))") }
        if parts.isEmpty {
            return HealthCheck(name: name, status: .pass, message: "\(masters.count) masters, each with at least \(expectations.replicasPerMaster) replica(s) linked")
        }
        return HealthCheck(name: name, status: short.isEmpty ? .warn : .fail, message: parts.joined(separator: "; "))
    }

    static func replicaPlacement(_ view: ClusterView) -> HealthCheck {
        let name = "replica-placement"
        guard let reference = view.reference else {
            return HealthCheck(name: name, status: .warn, message: "no topology to check placement against")
        }
        let zoneCount = Set(view.observations.compactMap(\.failureDomain.zone)).count
        var shared: [String] = []
        var checked = 0
        for replica in reference.nodes where replica.isReplica && !replica.isFailed {
            guard let masterId = replica.masterId,
                  let replicaDomain = view.observation(ofNode: replica.id)?.failureDomain,
                  let masterDomain = view.observation(ofNode: masterId)?.failureDomain else { continue }
            checked += 1
            let replicaName = view.name(ofNode: replica.id)
            let masterName = view.name(ofNode: masterId)
            if let node = replicaDomain.node, node == masterDomain.node {
                shared.append("\(replicaName) shares Kubernetes node \(node) with its master \(masterName)")
            } else if replicaDomain.node == nil, let host = replicaDomain.host, host == masterDomain.host {
                shared.append("\(replicaName) shares host \(host) with its master \(masterName)")
            }
            if zoneCount > 1, let zone = replicaDomain.zone, zone == masterDomain.zone {
                shared.append("\(replicaName) shares zone \(zone) with its master \(masterName)")
            }
        }
        if !shared.isEmpty { return HealthCheck(name: name, status: .warn, message: abbreviated(shared, separator: "; ")) }
        return HealthCheck(name: name, status: .pass, message: "no replica shares a failure domain with its master (\(checked) checked)")
    }

    static func persistence(_ view: ClusterView, _ expectations: ClusterExpectations) -> HealthCheck {
        let name = "persistence"
        var problems: [String] = []
        for observation in view.reachable {
            guard let info = observation.info else {
                problems.append("\(observation.name): no INFO")
                continue
            }
            if let aof = info.aofEnabled, aof != expectations.appendonly {
                problems.append("\(observation.name): appendonly is \(aof ? "on" : "off"), expected \(expectations.appendonly ? "on" : "off")")
            }
            if let status = info.aofLastWriteStatus, status != "ok" {
                problems.append("\(observation.name): aof_last_write_status:\(status)")
            }
            if let status = info.rdbLastBgsaveStatus, status != "ok" {
                problems.append("\(observation.name): rdb_last_bgsave_status:\(status)")
            }
        }
        if problems.isEmpty {
            let mode = "appendonly \(expectations.appendonly ? "on" : "off"), RDB snapshots \(expectations.rdbEnabled ? "on" : "off")"
            return HealthCheck(name: name, status: .pass, message: "\(mode); last writes ok on \(view.reachable.count) nodes")
        }
        return HealthCheck(name: name, status: .fail, message: problems.joined(separator: "; "))
    }

    static func memory(_ view: ClusterView, _ expectations: ClusterExpectations) -> HealthCheck {
        let name = "memory"
        let ratios = view.reachable.compactMap { observation in
            observation.info?.usedMemoryRatio.map { (observation.name, $0) }
        }
        guard let highest = ratios.max(by: { $0.1 < $1.1 }) else {
            return HealthCheck(name: name, status: .pass, message: "no maxmemory set; usage ratio not checked")
        }
        let failing = ratios.filter { $0.1 >= expectations.memoryFailRatio }
        let warning = ratios.filter { $0.1 >= expectations.memoryWarnRatio && $0.1 < expectations.memoryFailRatio }
        if failing.isEmpty && warning.isEmpty {
            return HealthCheck(name: name, status: .pass, message: "highest use \(percent(highest.1)) of maxmemory (\(highest.0))")
        }
        let named = (failing + warning).sorted { $0.1 > $1.1 }.map { "\($0.0) at \(percent($0.1))" }
        return HealthCheck(name: name, status: failing.isEmpty ? .warn : .fail, message: "memory near maxmemory: \(named.joined(separator: ", "))")
    }

    static func evictions(_ view: ClusterView) -> HealthCheck {
        let name = "evictions"
        let counts = view.reachable.compactMap { observation in
            observation.info?.evictedKeys.map { (observation.name, $0) }
        }
        let total = counts.reduce(0) { $0 + $1.1 }
        if total == 0 { return HealthCheck(name: name, status: .pass, message: "0 keys evicted") }
        let named = counts.filter { $0.1 > 0 }.map { "\($0.0): \($0.1)" }
        return HealthCheck(name: name, status: .warn, message: "\(total) keys evicted (\(named.joined(separator: ", ")))")
    }

    static func nodeCount(_ view: ClusterView, _ expectations: ClusterExpectations) -> HealthCheck {
        let name = "node-count"
        var present = 0
        var missing: [String] = []
        if let reference = view.reference {
            for node in reference.nodes where (node.isMaster || node.isReplica) && !node.isHandshake {
                if node.isFailed {
                    missing.append("\(view.name(ofNode: node.id)) (marked fail)")
                } else if let observation = view.observation(ofNode: node.id), !observation.isReachable {
                    missing.append("\(observation.name) (unreachable)")
                } else {
                    present += 1
                }
            }
            for (index, observation) in view.observations.enumerated() where view.nodeIds[index].flatMap({ reference.node(id: $0) }) == nil {
                missing.append("\(observation.name) (\(observation.isReachable ? "not in the cluster" : "unreachable"))")
            }
        } else {
            present = view.reachable.count
            missing = view.observations.filter { !$0.isReachable }.map { "\($0.name) (unreachable)" }
        }
        let expected = expectations.expectedNodeCount
        if present < expected {
            let detail = missing.isEmpty ? "" : "; missing: \(missing.joined(separator: ", "))"
            return HealthCheck(name: name, status: .fail, message: "\(present)/\(expected) nodes in the cluster\(detail)")
        }
        if !missing.isEmpty {
            return HealthCheck(name: name, status: .warn, message: "\(present)/\(expected) nodes in the cluster; also seen: \(missing.joined(separator: ", "))")
        }
        if present > expected {
            return HealthCheck(name: name, status: .warn, message: "\(present) nodes in the cluster, \(expected) expected")
        }
        return HealthCheck(name: name, status: .pass, message: "\(present)/\(expected) nodes in the cluster")
    }

    // MARK: Node table

    static func nodeReports(_ view: ClusterView) -> [NodeReport] {
        var reports: [NodeReport] = []
        var reported: Set<String> = []
        for (index, observation) in view.observations.enumerated() {
            let id = view.nodeIds[index]
            if let id { reported.insert(id) }
            let node = id.flatMap { view.reference?.node(id: $0) } ?? observation.topology?.myself
            let info = observation.isReachable ? observation.info : nil
            let role: String = if let node {
                node.isMaster ? "master" : node.isReplica ? "replica" : "unknown"
            } else {
                switch info?.role {
                case .master: "master"
                case .replica: "replica"
                case nil: "unknown"
                }
            }
            let linkUp: Bool
            if !observation.isReachable {
                linkUp = false
            } else if let node {
                linkUp = node.linkState == .connected && !node.isFailed && !node.isPossiblyFailed
                    && (role != "replica" || info?.masterLinkIsUp == true)
            } else {
                linkUp = role != "replica" || info?.masterLinkIsUp == true
            }
            reports.append(NodeReport(
                name: observation.name, address: observation.address, id: id, role: role,
                slots: node?.slotCount ?? 0, masterId: node?.masterId, linkStatus: linkUp ? "up" : "down",
                usedMemoryRatio: info?.usedMemoryRatio, reachable: observation.isReachable, failed: node?.isFailed ?? false
            ))
        }
        // Nodes the cluster knows that no one listed: a failed pod's old identity, a stray node.
        for node in view.reference?.nodes ?? [] where !reported.contains(node.id) && !node.isHandshake {
            let up = node.linkState == .connected && !node.isFailed && !node.isPossiblyFailed
            reports.append(NodeReport(
                name: node.displayName, address: node.address, id: node.id,
                role: node.isMaster ? "master" : node.isReplica ? "replica" : "unknown",
                slots: node.slotCount, masterId: node.masterId, linkStatus: up ? "up" : "down",
                usedMemoryRatio: nil, reachable: false, failed: node.isFailed
            ))
        }
        return reports
    }

    // MARK: Formatting

    private static func list(_ names: [String]) -> String { abbreviated(names, separator: ", ") }

    /// Keeps messages one line long on big clusters.
    private static func abbreviated(_ items: [String], separator: String = ", ", limit: Int = 10) -> String {
        guard items.count > limit else { return items.joined(separator: separator) }
        return items.prefix(limit).joined(separator: separator) + "\(separator)and \(items.count - limit) more"
    }

    private static func percent(_ ratio: Double) -> String { "\(Int((ratio * 100).rounded()))%" }
}

/// The observations with the cluster topology worked out once: which view to trust and which
/// observation is which node.
struct ClusterView {
    let observations: [NodeObservation]
    let reachable: [NodeObservation]
    /// Reachable nodes that reported CLUSTER NODES, grouped by signature, largest group first.
    let signatureGroups: [[NodeObservation]]
    /// The topology held by the most nodes (ties: the earliest listed node's): the majority is
    /// what the cluster converges to, and a failed node's stale view is outvoted.
    let reference: ClusterTopology?
    /// Node id of each observation, by index; nil when it could not be matched.
    let nodeIds: [String?]
    private let observationIndexById: [String: Int]

    init(observations: [NodeObservation]) {
        self.observations = observations
        reachable = observations.filter(\.isReachable)
        var groups: [String: [Int]] = [:]
        var order: [String] = []
        for (index, observation) in observations.enumerated() where observation.isReachable {
            guard let topology = observation.topology else { continue }
            if groups[topology.signature] == nil { order.append(topology.signature) }
            groups[topology.signature, default: []].append(index)
        }
        // Stable: equal sizes keep first-seen order.
        let ranked = order.enumerated().sorted { lhs, rhs in
            let (left, right) = (groups[lhs.element]?.count ?? 0, groups[rhs.element]?.count ?? 0)
            return left != right ? left > right : lhs.offset < rhs.offset
        }.map { groups[$0.element] ?? [] }
        signatureGroups = ranked.map { $0.map { observations[$0] } }
        let majority = ranked.first?.first.flatMap { observations[$0].topology }
        let reference = majority.map { Self.overlayingSelfDescriptions($0, observations) }
        self.reference = reference

        var ids: [String?] = []
        for observation in observations {
            if observation.isReachable, let own = observation.topology?.myself?.id {
                ids.append(own)
            } else {
                ids.append(reference.flatMap { Self.match(observation, in: $0) }?.id)
            }
        }
        nodeIds = ids
        var indexById: [String: Int] = [:]
        for (index, id) in ids.enumerated() {
            if let id, indexById[id] == nil { indexById[id] = index }
        }
        observationIndexById = indexById
    }

    /// Each reachable node is the authority on its own role and master: after `CLUSTER REPLICATE`
    /// the others learn of it only with the next gossip, seconds later.
    private static func overlayingSelfDescriptions(_ topology: ClusterTopology, _ observations: [NodeObservation]) -> ClusterTopology {
        var selves: [String: ClusterNode] = [:]
        for observation in observations where observation.isReachable {
            if let myself = observation.topology?.myself { selves[myself.id] = myself }
        }
        // One assignment of the whole list, so the topology's lookups are rebuilt once.
        return ClusterTopology(nodes: topology.nodes.map { node in
            guard let own = selves[node.id] else { return node }
            var node = node
            node.flags.subtract([.master, .replica])
            node.flags.formUnion(own.flags.intersection([.master, .replica]))
            node.masterId = own.masterId
            return node
        })
    }

    /// An unreachable node is found in the others' view by address, else by announced hostname.
    private static func match(_ observation: NodeObservation, in topology: ClusterTopology) -> ClusterNode? {
        if let byAddress = topology.nodes.first(where: { $0.hasAddress && $0.host == observation.host && $0.port == observation.port }) {
            return byAddress
        }
        return topology.nodes.first { node in
            guard let hostname = node.hostname else { return false }
            return hostname == observation.name || hostname.hasPrefix(observation.name + ".")
        }
    }

    func observation(ofNode id: String) -> NodeObservation? {
        observationIndexById[id].map { observations[$0] }
    }

    /// The platform's name for a node id, else what the cluster says about it.
    func name(ofNode id: String) -> String {
        if let observation = observation(ofNode: id) { return observation.name }
        if let node = reference?.node(id: id) { return node.displayName }
        return String(id.prefix(12))
    }

    /// Connected in the cluster's view and, when we could ask it, replicating (`master_link_status:up`).
    func replicaLinkIsUp(_ replica: ClusterNode) -> Bool {
        guard replica.linkState == .connected, !replica.isPossiblyFailed else { return false }
        guard let observation = observation(ofNode: replica.id) else { return true }
        return observation.isReachable && observation.info?.masterLinkIsUp == true
    }
}
