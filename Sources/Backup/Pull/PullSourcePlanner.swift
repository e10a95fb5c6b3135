import ClusterOps
import RESP

/// A node that could serve a shard's RDB, with what its INFO said (nil when it did not answer).
public struct PullCandidate: Sendable {
    public var node: ClusterNode
    public var info: InfoSections?

    public init(node: ClusterNode, info: InfoSections?) {
        self.node = node
        self.info = info
    }
}

/// The node a shard's RDB is pulled from, and why.
public struct PullSource: Sendable, Equatable {
    public var node: ClusterNode
    public var role: String
    public var reason: String

    public var endpoint: RedisEndpoint { RedisEndpoint(host: node.host, port: node.port) }
}

/// Chooses where to pull each shard from: a replica that is in sync spares the master the fork;
/// without one, the master.
public enum PullSourcePlanner {
    /// A replica further behind than this (replication offset bytes) is not "in sync".
    public static let maximumLagBytes: Int64 = 1 << 20

    public static func choose(master: PullCandidate, replicas: [PullCandidate]) -> PullSource {
        let masterOffset = master.info?.int("master_repl_offset")
        var best: (candidate: PullCandidate, lag: Int64)?
        var rejected: [String] = []
        for replica in replicas {
            let name = replica.node.address
            guard !replica.node.isFailed, !replica.node.isPossiblyFailed, replica.node.hasAddress else {
                rejected.append("\(name) is failing"); continue
            }
            guard let info = replica.info else { rejected.append("\(name) did not answer"); continue }
            guard info.role == .replica, info.masterLinkIsUp == true else {
                rejected.append("\(name) link to master is \(info.masterLinkStatus ?? "unknown")"); continue
            }
            guard info.int("master_sync_in_progress") ?? 0 == 0 else { rejected.append("\(name) is still syncing"); continue }
            guard let offset = info.int("slave_repl_offset"), let masterOffset else {
                rejected.append("\(name) reports no replication offset"); continue
            }
            let lag = max(0, masterOffset - offset)
            guard lag <= maximumLagBytes else { rejected.append("\(name) is \(lag) bytes behind"); continue }
            if lag < (best?.lag ?? .max) { best = (replica, lag) }
        }
        if let best {
            return PullSource(node: best.candidate.node, role: "replica",
                              reason: "in-sync replica (\(best.lag) bytes behind)")
        }
        let why = replicas.isEmpty ? "no replica" : "no replica in sync (" + rejected.joined(separator: "; ") + ")"
        return PullSource(node: master.node, role: "master", reason: why)
    }
}
