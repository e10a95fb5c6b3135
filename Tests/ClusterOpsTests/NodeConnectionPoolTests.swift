import ClusterOps
import RESP
import RedisCtlCore
import Testing
import TestSupport

/// The scoped pool: callers racing for one node share one connection, and every connection the
/// pool opened is closed when the scope ends, on success and on failure.
@Suite struct NodeConnectionPoolTests {
    /// Clients connected to `server`, as it counts them (the observer's own connection included).
    static func connectedClients(_ observer: RedisConnection) async throws -> Int {
        let info = try await observer.send("INFO", "clients").string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("connected_clients:") } ?? ""
        return Int(line.split(separator: ":").last ?? "") ?? -1
    }

    @Test func racingCallersShareOneConnectionAndTheScopeClosesIt() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let observer = try await server.connect()
        let connector = NodeConnector(options: RedisConnectionOptions(), dialer: TCPDialer())
        let endpoint = server.endpoint

        let identities = try await withNodeConnectionPool(connector) { pool -> Set<ObjectIdentifier> in
            let ids = try await withThrowingTaskGroup(of: ObjectIdentifier.self) { group in
                for _ in 0..<20 { group.addTask { ObjectIdentifier(try await pool.connection(endpoint)) } }
                var ids: Set<ObjectIdentifier> = []
                for try await id in group { ids.insert(id) }
                return ids
            }
            // The server counts a client once its loop has accepted it, which can trail the client's connect.
            let clients = try await poll("the pooled connection to be accepted", until: .after(.seconds(10))) {
                let clients = try await Self.connectedClients(observer)
                return clients >= 2 ? .done(clients) : .notYet("\(clients) clients connected")
            }
            #expect(clients == 2, "one pooled connection besides the observer")
            return ids
        }
        #expect(identities.count == 1, "20 racing callers opened \(identities.count) connections")
        try await poll("the pooled connection to close", until: .after(.seconds(10))) {
            let clients = try await Self.connectedClients(observer)
            return clients == 1 ? .done(()) : .notYet("\(clients) clients connected")
        }

        // A failing scope closes what it opened too.
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            try await withNodeConnectionPool(connector) { pool in
                _ = try await pool.send(endpoint, RedisCommand("PING"))
                throw Stop()
            }
        }
        try await poll("the failed scope's connection to close", until: .after(.seconds(10))) {
            let clients = try await Self.connectedClients(observer)
            return clients == 1 ? .done(()) : .notYet("\(clients) clients connected")
        }
        await observer.close()
    }

    @Test func aClosedPoolOpensNothing() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let pool = NodeConnectionPool(connector: NodeConnector(options: RedisConnectionOptions(), dialer: TCPDialer()))
        _ = try await pool.send(server.endpoint, RedisCommand("PING"))
        await pool.closeAll()
        await #expect(throws: RedisError.self) { try await pool.connection(server.endpoint) }
    }
}
