import RESP
import RedisCtlCore

/// Brings running nodes' ACL users and replication credentials to what the deployment says, live:
/// the config files give them to a node at its start, this to the nodes already running. Every
/// node gets the users first, then the replicas' `masteruser`/`masterauth`, so no replica ever
/// authenticates as a user its master lacks. A user's connections stay open (`ACL SETUSER`
/// changes no link), and a replica's link to its master too (its credentials are used at the next
/// connect).
public struct AccessControlSync: Sendable {
    public let connector: NodeConnector

    public init(connector: NodeConnector) { self.connector = connector }

    /// `users`: each user's `ACL SETUSER` arguments (name first). A node that refuses one stops the
    /// run, naming the node and the user; the nodes before it keep what they were given, which the
    /// next deploy gives again.
    public func apply(users: [[String]], replication: (user: String, password: String)?,
                      to nodes: [(name: String, endpoint: RedisEndpoint)]) async throws {
        // One connection per node for both passes; each pass is one pipelined round trip per node.
        try await withNodeConnectionPool(connector) { pool in
            for node in nodes {
                let replies = try await pool.connection(node.endpoint).pipeline(users.map { RedisCommand("ACL", ["SETUSER"] + $0) })
                for (arguments, reply) in zip(users, replies) {
                    if case .failure(let error) = reply {
                        throw GeneralFailure(.operationFailed, "\(node.name) refused user \(arguments.first ?? ""): "
                                             + "\(error.serverMessage ?? error.message); fix spec.auth.users and deploy again")
                    }
                }
            }
            guard let replication else { return }
            for node in nodes {
                _ = try await pool.send(node.endpoint, RedisCommand("CONFIG", "SET", "masteruser", replication.user,
                                                                    "masterauth", replication.password))
            }
        }
    }
}
