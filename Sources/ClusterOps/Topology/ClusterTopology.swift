import Foundation

/// A node's whole `CLUSTER NODES` reply: the cluster as that node sees it.
public struct ClusterTopology: Hashable, Sendable {
    /// Every edit rebuilds the lookups, so they always describe these nodes.
    public var nodes: [ClusterNode] { didSet { lookup = Lookup(nodes) } }
    /// Positions by node id and by master id: replies of thousands of nodes are read in linear time.
    private var lookup: Lookup

    public init(nodes: [ClusterNode]) {
        self.nodes = nodes
        self.lookup = Lookup(nodes)
    }

    private struct Lookup: Sendable {
        var byId: [String: Int] = [:]
        var replicasByMaster: [String: [Int]] = [:]

        init(_ nodes: [ClusterNode]) {
            byId.reserveCapacity(nodes.count)
            for (index, node) in nodes.enumerated() {
                // The first entry of an id wins, as a scan from the front would find it.
                if byId[node.id] == nil { byId[node.id] = index }
                if node.isReplica, let master = node.masterId { replicasByMaster[master, default: []].append(index) }
            }
        }
    }

    // The lookups derive from `nodes`: equality and hashing are those of the nodes alone.
    public static func == (lhs: ClusterTopology, rhs: ClusterTopology) -> Bool { lhs.nodes == rhs.nodes }
    public func hash(into hasher: inout Hasher) { hasher.combine(nodes) }

    /// Parses a `CLUSTER NODES` reply. Blank lines are skipped; any other line that does not
    /// parse throws, naming it.
    public static func parse(_ text: String) throws -> ClusterTopology {
        var nodes: [ClusterNode] = []
        var seen: Set<String> = []
        for (index, rawLine) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard let node = ClusterNode(clusterNodesLine: line) else {
                throw ClusterOpsError(.malformedClusterNodes, "CLUSTER NODES line \(index + 1) is not a node entry: \"\(line.prefix(200))\"")
            }
            guard seen.insert(node.id).inserted else {
                throw ClusterOpsError(.malformedClusterNodes, "CLUSTER NODES lists node \(node.id) twice (line \(index + 1))")
            }
            nodes.append(node)
        }
        return ClusterTopology(nodes: nodes)
    }

    /// The node that answered.
    public var myself: ClusterNode? { nodes.first(where: \.isMyself) }

    public var masters: [ClusterNode] { nodes.filter(\.isMaster) }

    public func replicas(of masterId: String) -> [ClusterNode] {
        (lookup.replicasByMaster[masterId] ?? []).map { nodes[$0] }
    }

    public func node(id: String) -> ClusterNode? { lookup.byId[id].map { nodes[$0] } }

    public func owner(ofSlot slot: Int) -> ClusterNode? {
        nodes.first { node in node.slots.contains { $0.contains(slot) } }
    }

    public var slotMap: SlotMap {
        var map = SlotMap()
        for node in nodes {
            for range in node.slots { map.assign(range, to: node.id) }
        }
        return map
    }

    /// Distinct slots some node claims.
    public var assignedSlotCount: Int { SlotRange.count(of: nodes.flatMap(\.slots)) }

    /// Sorted `id:ranges` of every node that owns slots, joined by `|`: two nodes agree on the
    /// slot configuration exactly when their signatures are equal (redis-cli's config signature).
    public var signature: String {
        nodes.filter { !$0.slots.isEmpty }
            .map { "\($0.id):\(SlotRange.describe($0.slots))" }
            .sorted()
            .joined(separator: "|")
    }
}
