import Platforms
import RESP
import RedisCtlCore
import Spec

/// What a command does with `--nodes`.
enum NodesUse: Sendable {
    /// The command works on any Redis nodes (init-cluster, verify, benchmark, backup, restore):
    /// with `--nodes`, no platform is resolved, so no kubeconfig or local state is read.
    case insteadOfPlatform
    /// The command manages the platform's pods (deploy, destroy, scale, connection).
    case ignored
}

/// Stands in for the platform when `--nodes` names the nodes: it knows those addresses and dials
/// them over plain TCP. Whatever else a platform does fails, saying why, so nothing on the
/// `--nodes` path can reach a platform by accident.
struct ExplicitNodes: Platform {
    let clusterName: String
    let endpoints: [RedisEndpoint]

    var kind: String { "--nodes" }
    var dialer: any RedisDialer { TCPDialer() }

    /// Nodes named on the command line are reached over TLS with `--tls` and its files only.
    func nodeTrust(for spec: DeploymentSpec) async throws -> NodeTrust? { nil }

    func pods() async throws -> [PodEndpoint] {
        endpoints.enumerated().map { index, endpoint in
            PodEndpoint(name: endpoint.description, ordinal: index, endpoint: endpoint, host: endpoint.host, ready: true)
        }
    }

    func password() async throws -> String {
        throw GeneralFailure(.cannotRun,
            "no Redis password for --nodes: set REDISCTL_PASSWORD (or REDISCLI_AUTH) or pass --password-file")
    }

    func userPasswords(for deployment: RedisDeployment) async throws -> [String: UserPasswords] {
        throw noPlatform("the ACL users' passwords")
    }

    private func noPlatform(_ what: String) -> GeneralFailure {
        GeneralFailure(.usage, "\(what) needs a platform; --nodes only names Redis nodes")
    }

    func apply(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deadline: Deadline,
               progress: any ProgressReporter) async throws -> ApplyResult {
        throw noPlatform("applying the deployment")
    }

    /// Nodes named on the command line keep no record of a spec.
    func deployedSpec() async throws -> RedisDeployment? { nil }

    func waitForPods(count: Int, deadline: Deadline, progress: any ProgressReporter) async throws -> [PodEndpoint] {
        try await pods()
    }

    func connectionEndpoints() async throws -> ConnectionEndpoints {
        throw noPlatform("listing connection endpoints")
    }

    func podsAwaitingRestart() async throws -> [PodEndpoint] {
        throw noPlatform("a rolling restart")
    }

    func restart(_ pod: PodEndpoint, of deployment: RedisDeployment, deadline: Deadline) async throws -> PodEndpoint {
        throw noPlatform("restarting a pod")
    }

    func destroy(deleteData: Bool, deadline: Deadline, progress: any ProgressReporter) async throws -> ApplyResult {
        throw noPlatform("destroying the cluster")
    }

    func resize(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deleteData: Bool, deadline: Deadline,
                progress: any ProgressReporter) async throws -> [PodEndpoint] {
        throw noPlatform("resizing the cluster")
    }
}
