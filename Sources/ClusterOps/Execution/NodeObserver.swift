import RESP
import RedisCtlCore

/// One node's INFO, CLUSTER INFO and CLUSTER NODES, read in one pipelined round trip.
public struct NodeSnapshot: Sendable {
    public let info: InfoSections
    public let clusterInfo: InfoSections
    public let topology: ClusterTopology

    public var myself: ClusterNode? { topology.myself }
}

public enum NodeObserver {
    /// Reads a snapshot; a node without cluster support is a clear error naming it.
    public static func snapshot(_ connection: RedisConnection, name: String) async throws -> NodeSnapshot {
        let replies = try await connection.pipeline([
            RedisCommand("INFO", "all"), RedisCommand("CLUSTER", "INFO"), RedisCommand("CLUSTER", "NODES"),
        ])
        let info = InfoSections.parse(try replies[0].get().string ?? "")
        if info.clusterEnabled == false {
            throw ClusterOpsError(.invalidLayout,
                "\(nodeLabel(name, connection.endpoint.description)): cluster_enabled:0; start it with cluster-enabled yes")
        }
        let clusterInfo = InfoSections.parse(try replies[1].get().string ?? "")
        let topology = try ClusterTopology.parse(try replies[2].get(), from: connection.endpoint)
        return NodeSnapshot(info: info, clusterInfo: clusterInfo, topology: topology)
    }

    /// The planner's view of a node: who it is, what it owns, whom it knows, whether it holds keys.
    public static func observedState(_ snapshot: NodeSnapshot) -> ObservedNodeState? {
        guard let myself = snapshot.myself else { return nil }
        let others = snapshot.topology.nodes.filter { !$0.isMyself && !$0.isHandshake }
        let keys = (0..<16).reduce(Int64(0)) { $0 + (snapshot.info.keyspace(database: $1)?.keys ?? 0) }
        return ObservedNodeState(
            nodeId: myself.id,
            knownNodes: snapshot.clusterInfo.clusterKnownNodes ?? snapshot.topology.nodes.count,
            configEpoch: myself.configEpoch,
            ownedSlots: myself.slots,
            holdsKeys: keys > 0,
            masterId: myself.isReplica ? myself.masterId : nil,
            knownNodeIds: Set(others.map(\.id)))
    }
}
