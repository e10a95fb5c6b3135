import RESP
import RedisCtlCore

/// Joining and leaving: MEET, REPLICATE, FAILOVER, FORGET and RESET, each followed by a bounded wait
/// for the cluster to agree, so the next step of a scale starts from a settled cluster.
public struct ClusterMembership: Sendable {
    public let pool: NodeConnectionPool
    public let progress: any ProgressReporter

    public init(pool: NodeConnectionPool, progress: any ProgressReporter) {
        self.pool = pool
        self.progress = progress
    }

    /// The node's own view of the cluster.
    public func topology(_ member: MemberAddress) async throws -> ClusterTopology {
        do {
            return try await pool.topology(of: member.endpoint)
        } catch let error as ClusterOpsError {
            throw error
        } catch {
            throw GeneralFailure(category(of: error), "\(member.label): CLUSTER NODES failed: \(reason(error))")
        }
    }

    /// Keys the node holds (a node joining as a master or replica must be empty).
    public func keyCount(_ member: MemberAddress) async throws -> Int {
        Int(try await pool.send(member.endpoint, RedisCommand("DBSIZE")).int ?? 0)
    }

    /// `anchor` meets every member it does not know yet, then waits until every member knows every
    /// other one with a live cluster-bus link and the same slot map.
    public func meet(_ newcomers: [MemberAddress], anchor: MemberAddress) async throws {
        for member in newcomers {
            progress.detail("introducing \(member.label)")
            try await run(anchor, RedisCommand("CLUSTER", "MEET", member.endpoint.host, String(member.endpoint.port)),
                          what: "CLUSTER MEET \(member.endpoint)")
        }
    }

    /// Sets `cluster-node-timeout` on these nodes. A node that has just joined counts as having been
    /// in a minority partition and stays in `cluster_state:fail` for min(node timeout, 5 s) after it
    /// learns the slot map, refusing the keys MIGRATE brings; a short timeout while it joins keeps
    /// that to 1 s. The configured value goes back as soon as the node reports ok.
    public func setNodeTimeout(_ members: [MemberAddress], milliseconds: Int) async {
        for member in members {
            do {
                _ = try await pool.send(member.endpoint, RedisCommand("CONFIG", "SET", "cluster-node-timeout", String(milliseconds)))
            } catch {
                progress.warning("\(member.label): could not set cluster-node-timeout \(milliseconds) "
                                 + "(\(reason(error))); set it with CONFIG SET")
            }
        }
    }

    public func replicate(_ replica: MemberAddress, masterId: String, masterName: String) async throws {
        progress.step("\(replica.name) replicates \(masterName)")
        try await run(replica, RedisCommand("CLUSTER", "REPLICATE", masterId), what: "CLUSTER REPLICATE \(masterName)")
    }

    /// Promotes a replica in place (graceful: its master hands over), and waits until it is master.
    public func failover(_ replica: MemberAddress, deadline: Deadline) async throws {
        progress.step("\(replica.name) takes over from its master (CLUSTER FAILOVER)")
        try await ManualFailover(pool: pool).promote(replica.endpoint, name: replica.name, deadline: deadline)
    }

    /// Every staying node forgets every leaving node, all at once so no node re-learns them from a
    /// neighbour's gossip (FORGET bans an id for 60 s only); then the leaving nodes are reset so they
    /// stop talking to the cluster and come back empty if the pod ever returns.
    public func remove(_ leaving: [(member: MemberAddress, id: String)], staying: [MemberAddress]) async throws {
        guard !leaving.isEmpty else { return }
        progress.step("removing \(leaving.map(\.member.name).joined(separator: ", ")) from the cluster")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in staying {
                group.addTask {
                    let commands = leaving.map { RedisCommand("CLUSTER", "FORGET", $0.id) }
                    let replies = try await pool.connection(node.endpoint).pipeline(commands)
                    for (reply, gone) in zip(replies, leaving) {
                        if case .failure(let error) = reply, !error.unknownNode {
                            throw GeneralFailure(.operationFailed,
                                "\(node.label): CLUSTER FORGET \(gone.member.name) failed: \(error.message)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        for (member, _) in leaving {
            do {
                // A drained master has no keys and a leaving replica's are a copy of a master's that
                // stays: emptied, a pod that comes back later (its volume kept) joins as a new node.
                _ = try await pool.send(member.endpoint, RedisCommand("CLUSTER", "RESET", "HARD"))
                _ = try await pool.send(member.endpoint, RedisCommand("FLUSHALL"))
            } catch {
                progress.warning("\(member.label): CLUSTER RESET failed (\(reason(error))); it leaves anyway")
            }
        }
    }

    /// Every member knows exactly the members (handshakes done, links up, nobody failing, departed
    /// nodes forgotten), every one holds the same slot map, serves, and every replica's link is up.
    public func waitUntilSettled(_ members: [MemberAddress], deadline: Deadline, what: String) async throws {
        try await ClusterConvergence(pool: pool).wait(
            for: members, goal: ConvergenceGoal(allowsOtherNodes: false, requiresServing: true), what: what, deadline: deadline)
    }

    private func run(_ member: MemberAddress, _ command: RedisCommand, what: String) async throws {
        do {
            _ = try await pool.send(member.endpoint, command)
        } catch {
            throw GeneralFailure(category(of: error), "\(member.label): \(what) failed: \(reason(error))")
        }
    }

    /// A step that failed is an operation failure, unless the node refused our credentials.
    private func category(of error: any Error) -> FailureCategory {
        (error as? RedisError)?.refusesAuthentication == true ? .cannotRun : .operationFailed
    }

    public func reason(_ error: any Error) -> String {
        if let failure = error as? any RedisCtlFailure { return failure.message }
        return "\(error)"
    }
}
