import ClusterOps
import Foundation
import RESP
import RedisCtlCore
import TestSupport

/// Three real redis-servers formed into a cluster (masters only, slots split evenly), shared by
/// the tests of a suite. Stopped by PID in `stop()`, and by the processes' own backstop otherwise.
final class SmallCluster: Sendable {
    static let password = "bench-test-password"
    let servers: [RedisServerProcess]

    var endpoints: [RedisEndpoint] { servers.map(\.endpoint) }

    private init(servers: [RedisServerProcess]) { self.servers = servers }

    static func start(masters: Int = 3) async throws -> SmallCluster {
        let servers = try await RedisServerProcess.startMany(
            count: masters, extraConfig: ["cluster-enabled yes", "cluster-node-timeout 5000", "enable-debug-command yes"],
            password: password)
        let cluster = SmallCluster(servers: servers)
        do {
            try await cluster.form()
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    func stop() { servers.forEach { $0.stop() } }

    func connect(_ index: Int) async throws -> RedisConnection {
        try await servers[index].connect()
    }

    func nodeID(_ index: Int) async throws -> String {
        let connection = try await connect(index)
        defer { Task { await connection.close() } }
        return try await connection.send("CLUSTER", "MYID").string ?? ""
    }

    /// Slots split evenly in address order, every node met, then wait for cluster_state:ok everywhere.
    private func form() async throws {
        let count = servers.count
        for (index, server) in servers.enumerated() {
            let connection = try await server.connect()
            let first = KeySlot.count * index / count
            let last = KeySlot.count * (index + 1) / count - 1
            _ = try await connection.send("CLUSTER", "ADDSLOTSRANGE", String(first), String(last))
            for other in servers where other !== server {
                _ = try await connection.send("CLUSTER", "MEET", other.endpoint.host, String(other.endpoint.port))
            }
            await connection.close()
        }
        let servers = self.servers
        try await poll("the test cluster to report cluster_state:ok on every node", until: .after(.seconds(30))) { () async throws -> PollOutcome<Void> in
            for server in servers {
                let connection = try await server.connect()
                let info = InfoSections.parse(try await connection.send("CLUSTER", "INFO").string ?? "")
                let nodes = try ClusterTopology.parse(try await connection.send("CLUSTER", "NODES").string ?? "")
                await connection.close()
                guard info.clusterStateIsOK == true, nodes.assignedSlotCount == KeySlot.count,
                      nodes.masters.count == count else {
                    return .notYet("\(server.endpoint): \(info.clusterState ?? "?"), \(nodes.assignedSlotCount) slots known")
                }
            }
            return .done(())
        }
    }

    var connector: NodeConnector {
        NodeConnector(options: RedisConnectionOptions(password: Self.password), dialer: TCPDialer())
    }
}
