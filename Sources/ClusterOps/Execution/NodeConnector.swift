import RESP
import RedisCtlCore

/// Opens authenticated connections to cluster nodes through the platform's dialer, and turns
/// connection failures into one-line messages that name the node.
public struct NodeConnector: Sendable {
    public let options: RedisConnectionOptions
    public let dialer: any RedisDialer

    public init(options: RedisConnectionOptions, dialer: any RedisDialer) {
        self.options = options
        self.dialer = dialer
    }

    public func connect(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        try await RedisConnection.connect(to: endpoint, options: options, dialer: dialer)
    }

    /// Connects without credentials: `verify` checks that such a connection is refused.
    public func connectWithoutPassword(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        var anonymous = options
        anonymous.user = nil
        anonymous.password = nil
        return try await RedisConnection.connect(to: endpoint, options: anonymous, dialer: dialer)
    }
}

/// A connection per node, opened once and reused across the phases of one operation.
public actor NodeConnectionPool {
    private let connector: NodeConnector
    private var connections: [RedisEndpoint: RedisConnection] = [:]

    public init(connector: NodeConnector) { self.connector = connector }

    public func connection(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        if let existing = connections[endpoint], existing.isActive { return existing }
        let connection = try await connector.connect(endpoint)
        connections[endpoint] = connection
        return connection
    }

    public func send(_ endpoint: RedisEndpoint, _ command: RedisCommand) async throws -> RESPValue {
        try await connection(endpoint).send(command)
    }

    public func closeAll() async {
        for connection in connections.values { await connection.close() }
        connections.removeAll()
    }
}

extension NodeConnectionPool {
    /// The cluster as the first seed that answers sees it (CLUSTER NODES). A refused password stops
    /// at once; unreachable seeds are skipped, and when none answers the first reason is given.
    public func topology(fromFirstOf seeds: [RedisEndpoint]) async throws -> ClusterTopology {
        var failures: [String] = []
        for seed in seeds {
            do {
                return try ClusterTopology.parse(try await send(seed, RedisCommand("CLUSTER", "NODES")).string ?? "")
            } catch let error as RedisError where error.kind == .wrongPass || error.kind == .noAuth {
                throw GeneralFailure(.cannotRun, "authentication refused by \(seed) (\(error.message)); check the password")
            } catch {
                failures.append("\(seed): \(error)")
            }
        }
        throw GeneralFailure(.cannotRun, "no node reachable to read the cluster topology (\(failures.first ?? "no nodes"))")
    }
}
