import RESP
import RedisCtlCore

/// Moves a master role to one of its replicas with `CLUSTER FAILOVER`: the master stops taking
/// writes, the replica catches up to its offset and takes over, so no acknowledged write is lost.
/// The one failover: before a master's pod is restarted (and to give the role back), and when
/// scale removes a master that has a replica.
public struct ManualFailover: Sendable {
    public let pool: NodeConnectionPool

    public init(pool: NodeConnectionPool) {
        self.pool = pool
    }

    /// The node at `endpoint` as it sees itself, and the cluster as it sees it.
    public func describe(_ endpoint: RedisEndpoint) async throws -> (myself: ClusterNode, topology: ClusterTopology) {
        let topology = try await pool.topology(of: endpoint)
        guard let myself = topology.myself else {
            throw ClusterOpsError(.malformedClusterNodes, "\(endpoint): CLUSTER NODES has no 'myself' line")
        }
        return (myself, topology)
    }

    /// The replica to promote in place of `master`: a healthy one, preferring a connected link.
    public static func successor(of master: ClusterNode, in topology: ClusterTopology) -> ClusterNode? {
        topology.replicas(of: master.id)
            .filter { !$0.isFailed && !$0.isPossiblyFailed && $0.hasAddress && !$0.flags.contains(.noFailover) }
            .sorted { ($0.linkState == .connected ? 0 : 1, $0.address) < ($1.linkState == .connected ? 0 : 1, $1.address) }
            .first
    }

    /// Asks `replica` to take over its master's slots and waits until it reports itself master
    /// and its old master has become its replica.
    public func promote(_ replica: RedisEndpoint, name: String, deadline: Deadline) async throws {
        // The replica must be in sync before the handshake can start; a just-restarted node may
        // still be loading or syncing, so the request itself is retried until it is accepted.
        try await poll("\(name) to accept CLUSTER FAILOVER", until: deadline,
                       initialInterval: .milliseconds(200), maxInterval: .seconds(1)) { () async throws -> PollOutcome<Void> in
            do {
                let (myself, _) = try await describe(replica)
                if myself.isMaster { return .done(()) }
                let info = InfoSections.parse(try await pool.send(replica, RedisCommand("INFO", "replication")).string ?? "")
                guard info.masterLinkStatus == "up" else {
                    return .notYet("\(name): replication link is \(info.masterLinkStatus ?? "not up") yet")
                }
                _ = try await pool.send(replica, RedisCommand("CLUSTER", "FAILOVER"))
                return .done(())
            } catch let error as RedisError where error.refusesAuthentication {
                throw GeneralFailure(.cannotRun, "\(nodeLabel(name, replica.description)): \(error.message)")
            } catch {
                return .notYet("\(name): \((error as? any RedisCtlFailure)?.message ?? "\(error)")")
            }
        }
        try await poll("\(name) to become master after CLUSTER FAILOVER", until: deadline,
                       initialInterval: .milliseconds(100), maxInterval: .milliseconds(500)) { () async -> PollOutcome<Void> in
            do {
                let (myself, topology) = try await describe(replica)
                guard myself.isMaster else { return .notYet("\(name) is still a replica") }
                let others = topology.replicas(of: myself.id)
                return others.isEmpty ? .notYet("\(name) has no replica yet") : .done(())
            } catch {
                return .notYet("\(name): \((error as? any RedisCtlFailure)?.message ?? "\(error)")")
            }
        }
    }
}
