import Platforms
import RedisCtlCore
import Spec
import RESP

/// `connection`: how applications reach the cluster, as the seed's "Connection Information".
public struct ConnectionCommand: Sendable {
    public var showPassword: Bool

    public init(showPassword: Bool = false) { self.showPassword = showPassword }

    public func run(_ context: CommandContext) async throws -> Int32 {
        try await DeploymentTarget.with(context) { target in
            let endpoints = try await target.platform.connectionEndpoints()
            // Applications connect as the application user; `--user` names another (`default`: the admin).
            let user = target.settings.user ?? ACLUsers.application.name
            let password: String
            if user == "default" {
                password = try await target.password()
            } else {
                guard let passwords = try await target.platform.userPasswords(for: target.deployment)[user] else {
                    throw GeneralFailure(.usage, "cluster \(target.clusterName) has no user \(user) (spec.auth.users); "
                                         + "its users: default, \(target.deployment.spec.auth.effectiveUsers.map(\.name).joined(separator: ", "))")
                }
                password = passwords.current
            }
            try context.emit(ConnectionResult(
                cluster: target.clusterName, endpoints: endpoints, user: user,
                password: showPassword ? password : String(repeating: "*", count: 8),
                clusterMode: target.deployment.spec.topology == .cluster,
                trust: try await target.platform.nodeTrust(for: target.deployment.spec)))
            return 0
        }
    }
}

/// How to reach the cluster: the JSON of `-o json`, as plain data, so the same type reads it back.
struct ConnectionResult: CommandResult, Codable {
    let cluster: String
    let host: String
    let port: Int
    let nodes: [String]
    let connectionString: String
    /// The ACL user the password is for.
    let user: String
    let tls: Bool
    /// Where the CA to trust is (a file, or the Secret's key), when TLS is on.
    let caCertificate: String?
    /// The name to check the nodes' certificates against, where it is not the address dialled.
    let serverName: String?
    let environment: [String: String]

    /// The variables, in the order `-o env` and the text print them.
    static let variables = ["REDIS_HOST", "REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_CLUSTER_MODE", "REDIS_TLS",
                            "REDIS_CACERT", "REDIS_TLS_SERVER_NAME"]

    init(cluster: String, endpoints: ConnectionEndpoints, user: String, password: String, clusterMode: Bool,
         trust: NodeTrust? = nil) {
        self.user = user
        self.cluster = cluster
        host = endpoints.primary.host
        port = endpoints.primary.port
        nodes = endpoints.nodes.map(\.description)
        tls = trust != nil
        caCertificate = trust?.location
        serverName = trust?.serverName
        connectionString = "\(tls ? "rediss" : "redis")://\(user):\(password)@\(endpoints.primary.host):\(endpoints.primary.port)"
        var environment = ["REDIS_HOST": endpoints.primary.host, "REDIS_PORT": String(endpoints.primary.port), "REDIS_USERNAME": user,
                           "REDIS_PASSWORD": password, "REDIS_CLUSTER_MODE": clusterMode ? "true" : "false",
                           "REDIS_TLS": tls ? "true" : "false"]
        environment["REDIS_CACERT"] = trust?.caFile
        environment["REDIS_TLS_SERVER_NAME"] = trust?.serverName
        self.environment = environment
    }

    private var orderedEnvironment: [(String, String)] {
        Self.variables.compactMap { name in environment[name].map { (name, $0) } }
    }

    var text: String {
        var lines = ["cluster:           \(cluster)",
                     "endpoint:          \(RedisEndpoint(host: host, port: port))",
                     "nodes:             \(nodes.joined(separator: ","))",
                     "connection string: \(connectionString)"]
        if let caCertificate { lines.append("trust CA:          \(caCertificate)") }
        if let serverName { lines.append("server name:       \(serverName)") }
        lines.append("environment:")
        lines += orderedEnvironment.map { "  \($0.0)=\($0.1)" }
        return lines.joined(separator: "\n")
    }

    var environmentLines: [String]? {
        orderedEnvironment.map { "export \($0.0)=\(shellQuoted($0.1))" }
    }

    private func shellQuoted(_ value: String) -> String {
        value.allSatisfy { $0.isLetter || $0.isNumber || "._-:/".contains($0) }
            ? value : "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
