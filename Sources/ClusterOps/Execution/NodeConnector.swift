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

    /// This connector bounded by `deadline` instead: cleanup that must run after the command's
    /// deadline has passed (putting a node's settings back) gets a short bound of its own.
    public func bounded(by deadline: Deadline) -> NodeConnector {
        var bounded = options
        bounded.deadline = deadline
        return NodeConnector(options: bounded, dialer: dialer)
    }

    public func connect(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        try await RedisConnection.connect(to: endpoint, options: options, dialer: dialer)
    }

    /// Runs `body` on a new connection to `endpoint` and closes it afterwards (awaited), however
    /// `body` ends.
    public func withConnection<Result: Sendable>(
        _ endpoint: RedisEndpoint, authenticated: Bool = true, _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = authenticated ? try await connect(endpoint) : try await connectWithoutPassword(endpoint)
        return try await withCleanup({ try await body(connection) }, cleanup: { await connection.close() })
    }

    /// Connects without credentials: `verify` checks that such a connection is refused.
    public func connectWithoutPassword(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        var anonymous = options
        anonymous.user = nil
        anonymous.password = nil
        return try await RedisConnection.connect(to: endpoint, options: anonymous, dialer: dialer)
    }
}

/// A connection per node, opened once and reused across the phases of one operation. Callers
/// racing for the same node share one connect. Use `withNodeConnectionPool`, which closes every
/// connection the pool opened when the operation ends, however it ends.
public actor NodeConnectionPool {
    private let connector: NodeConnector
    private var connections: [RedisEndpoint: RedisConnection] = [:]
    /// Connects under way, by node.
    private var opening: [RedisEndpoint: Task<RedisConnection, any Error>] = [:]
    /// Connections that went inactive and were replaced; closed with the rest.
    private var retired: [RedisConnection] = []
    private var isClosed = false

    public init(connector: NodeConnector) { self.connector = connector }

    public func connection(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        if let existing = connections[endpoint], existing.isActive { return existing }
        if let pending = opening[endpoint] { return try await pending.value }
        guard !isClosed else { throw RedisError(.connectionClosed, endpoint: endpoint) }
        if let stale = connections.removeValue(forKey: endpoint) { retired.append(stale) }
        let task = Task { [connector] in try await connector.connect(endpoint) }
        opening[endpoint] = task
        let result = await task.result
        opening[endpoint] = nil
        let connection = try result.get()
        // The pool was closed while this connect ran: nothing may outlive it.
        if isClosed {
            await connection.close()
            throw RedisError(.connectionClosed, endpoint: endpoint)
        }
        connections[endpoint] = connection
        return connection
    }

    public func send(_ endpoint: RedisEndpoint, _ command: RedisCommand) async throws -> RESPValue {
        try await connection(endpoint).send(command)
    }

    /// Closes every connection the pool opened, waiting for connects under way; the pool opens no
    /// more afterwards.
    public func closeAll() async {
        isClosed = true
        for task in opening.values {
            if case .success(let connection) = await task.result { await connection.close() }
        }
        for connection in Array(connections.values) + retired { await connection.close() }
        connections.removeAll()
        retired.removeAll()
    }
}

/// Runs `body` with a pool of connections through `connector`, and closes them all afterwards,
/// on success and on failure alike (awaited, so nothing is left open when this returns).
public func withNodeConnectionPool<Result: Sendable>(
    _ connector: NodeConnector, _ body: (NodeConnectionPool) async throws -> Result
) async throws -> Result {
    let pool = NodeConnectionPool(connector: connector)
    return try await withCleanup({ try await body(pool) }, cleanup: { await pool.closeAll() })
}

extension NodeConnectionPool {
    /// The node's own view of the cluster (CLUSTER NODES): the one way the cluster's shape is read.
    public func topology(of endpoint: RedisEndpoint) async throws -> ClusterTopology {
        try ClusterTopology.parse(try await send(endpoint, RedisCommand("CLUSTER", "NODES")), from: endpoint)
    }

    /// The cluster as the first seed that answers sees it (CLUSTER NODES). A refused password stops
    /// at once; unreachable seeds are skipped, and when none answers the first reason is given.
    public func topology(fromFirstOf seeds: [RedisEndpoint]) async throws -> ClusterTopology {
        var failures: [String] = []
        for seed in seeds {
            do {
                return try await topology(of: seed)
            } catch let error as RedisError where error.kind == .wrongPass || error.kind == .noAuth {
                throw GeneralFailure(.cannotRun, "authentication refused by \(seed) (\(error.message)); check the password")
            } catch {
                failures.append("\(seed): \(error)")
            }
        }
        throw GeneralFailure(.cannotRun, "no node reachable to read the cluster topology (\(failures.first ?? "no nodes"))")
    }
}

extension ClusterTopology {
    /// A CLUSTER NODES reply from `endpoint`; anything but its text is a malformed reply.
    public static func parse(_ reply: RESPValue, from endpoint: RedisEndpoint) throws -> ClusterTopology {
        guard let text = reply.string else {
            throw ClusterOpsError(.malformedClusterNodes, "\(endpoint): CLUSTER NODES did not answer with text")
        }
        return try parse(text)
    }
}
