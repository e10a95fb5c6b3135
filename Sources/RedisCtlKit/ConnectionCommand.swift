import Platforms
import RESP

/// `connection`: how applications reach the cluster, as the seed's "Connection Information".
public struct ConnectionCommand: Sendable {
    public var showPassword: Bool

    public init(showPassword: Bool = false) { self.showPassword = showPassword }

    public func run(_ context: CommandContext) async throws -> Int32 {
        try await DeploymentTarget.with(context) { target in
            let endpoints = try await target.platform.connectionEndpoints()
            let password = try await target.password()
            try context.emit(ConnectionResult(
                cluster: target.clusterName, endpoints: endpoints,
                password: showPassword ? password : String(repeating: "*", count: 8),
                clusterMode: target.deployment.spec.topology == .cluster))
            return 0
        }
    }
}

struct ConnectionResult: CommandResult {
    let cluster: String
    let endpoints: ConnectionEndpoints
    let password: String
    let clusterMode: Bool

    var connectionString: String { "redis://:\(password)@\(endpoints.primary.host):\(endpoints.primary.port)" }

    enum CodingKeys: String, CodingKey { case cluster, host, port, nodes, connectionString, environment }

    var environment: [(String, String)] {
        [("REDIS_HOST", endpoints.primary.host), ("REDIS_PORT", String(endpoints.primary.port)),
         ("REDIS_PASSWORD", password), ("REDIS_CLUSTER_MODE", clusterMode ? "true" : "false")]
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(endpoints.primary.host, forKey: .host)
        try container.encode(endpoints.primary.port, forKey: .port)
        try container.encode(endpoints.nodes.map(\.description), forKey: .nodes)
        try container.encode(connectionString, forKey: .connectionString)
        try container.encode(Dictionary(uniqueKeysWithValues: environment), forKey: .environment)
    }

    var text: String {
        var lines = ["cluster:           \(cluster)",
                     "endpoint:          \(endpoints.primary)",
                     "nodes:             \(endpoints.nodes.map(\.description).joined(separator: ","))",
                     "connection string: \(connectionString)",
                     "environment:"]
        lines += environment.map { "  \($0.0)=\($0.1)" }
        return lines.joined(separator: "\n")
    }

    var environmentLines: [String]? {
        environment.map { "export \($0.0)=\(shellQuoted($0.1))" }
    }

    private func shellQuoted(_ value: String) -> String {
        value.allSatisfy { $0.isLetter || $0.isNumber || "._-:/".contains($0) }
            ? value : "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
