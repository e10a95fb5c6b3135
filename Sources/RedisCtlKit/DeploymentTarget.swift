import Foundation
import Kubernetes
import PlatformKubernetes
import PlatformLocal
import Platforms
import RedisCtlCore
import RESP
import Spec

/// The deployment a command works on: its spec, its platform, and how to authenticate to its nodes.
struct DeploymentTarget: Sendable {
    var deployment: RedisDeployment
    let platform: any Platform
    let settings: GlobalSettings
    let environment: [String: String]
    /// The spec file `deployment` was read from; nil for the built-in defaults.
    var specFile: String? = nil
    /// The spec the platform recorded at its last apply or resize (see `adoptingDeployedSpec`).
    var deployed: RedisDeployment? = nil

    var clusterName: String { deployment.metadata.name }

    /// Loads the spec (`--config`, else `./redisctl.yaml` when present, else the seed's defaults),
    /// applies `--name`/`--namespace`, and picks the platform.
    /// `needsPlatform: false` (render) never reads a kubeconfig or local state, nor does a command
    /// whose `nodes` is `.insteadOfPlatform` when `--nodes` is given.
    static func resolve(_ context: CommandContext, needsPlatform: Bool = true,
                        nodes nodesUse: NodesUse = .ignored) throws -> DeploymentTarget {
        let settings = context.settings
        var deployment: RedisDeployment = .defaults
        let implicit = URL(fileURLWithPath: context.workingDirectory).appendingPathComponent("redisctl.yaml").path
        let specFile = settings.configPath ?? (FileManager.default.fileExists(atPath: implicit) ? implicit : nil)
        if let specFile { deployment = try SpecLoader.load(path: specFile) }
        if let name = settings.name { deployment.metadata.name = name }
        if let namespace = settings.namespace { deployment.metadata.namespace = namespace }
        if let problem = SpecValidator.validate(deployment) {
            throw GeneralFailure(.usage, problem.message.replacingOccurrences(of: "metadata.name", with: "--name")
                .replacingOccurrences(of: "metadata.namespace", with: "--namespace"))
        }
        if nodesUse == .insteadOfPlatform, let explicit = settings.nodes {
            return DeploymentTarget(deployment: deployment,
                                    platform: ExplicitNodes(clusterName: deployment.metadata.name, endpoints: explicit),
                                    settings: settings, environment: context.environment, specFile: specFile)
        }
        let platform: any Platform
        switch needsPlatform ? settings.platform : .local {
        case .local:
            let root = try settings.stateDirectoryURL() ?? LocalPlatform.defaultStateRoot(environment: context.environment)
            platform = LocalPlatform(clusterName: deployment.metadata.name, stateRoot: root,
                                     host: .thisMachine(environment: context.environment),
                                     firstSubnet: firstLocalSubnet(context.environment))
        case .kubernetes:
            platform = try kubernetesPlatform(deployment, settings: settings, environment: context.environment)
        }
        return DeploymentTarget(deployment: deployment, platform: platform, settings: settings,
                                environment: context.environment, specFile: specFile)
    }

    /// `REDISCTL_LOCAL_SUBNET=127.A.B` moves where the local platform starts looking for a free /24.
    private static func firstLocalSubnet(_ environment: [String: String]) -> LoopbackSubnet {
        if let text = environment["REDISCTL_LOCAL_SUBNET"] {
            let parts = text.split(separator: ".").compactMap { Int($0) }
            if parts.count == 3, parts[0] == 127, (0...255).contains(parts[1]), (0...255).contains(parts[2]) {
                return LoopbackSubnet(second: parts[1], third: parts[2])
            }
        }
        return LoopbackSubnet(second: 0, third: 1)
    }

    /// The password: `REDISCTL_PASSWORD` or `REDISCLI_AUTH`, `--password-file`, else the platform's
    /// secret. Never from the command line.
    func password() async throws -> String {
        for variable in ["REDISCTL_PASSWORD", "REDISCLI_AUTH"] {
            if let value = environment[variable], !value.isEmpty { return value }
        }
        if let file = settings.passwordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw GeneralFailure(.cannotRun, "cannot read --password-file \(file)")
            }
            let password = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !password.isEmpty else { throw GeneralFailure(.cannotRun, "--password-file \(file) is empty") }
            return password
        }
        return try await platform.password()
    }

    /// How to connect to a node (user, password, timeouts, dialer).
    /// Every connect takes at most min(--timeout, 5 s) and every reply min(--timeout, 30 s), also on
    /// connections that outlive `deadline` (the command's whole-run bound, where it has one).
    func connectionOptions(deadline: Deadline? = nil) async throws -> RedisConnectionOptions {
        RedisConnectionOptions(user: settings.user, password: try await password(),
                               connectTimeout: min(.seconds(5), settings.timeout),
                               commandTimeout: min(.seconds(30), settings.timeout), deadline: deadline)
    }

    /// The nodes to talk to: `--nodes` when given, else the platform's pods.
    func nodes() async throws -> [PodEndpoint] {
        if let explicit = settings.nodes {
            return try await ExplicitNodes(clusterName: clusterName, endpoints: explicit).pods()
        }
        let pods = try await platform.pods()
        if pods.isEmpty {
            throw GeneralFailure(.cannotRun,
                "no pods found for cluster '\(clusterName)' on the \(platform.kind) platform; deploy it first or pass --nodes")
        }
        return pods
    }
}

extension DeploymentTarget {
    /// Resolves the command after `resolve`, takes the platform's deployed spec (`deployedSpec: .adopt`),
    /// and releases the platform's connections afterwards.
    static func with<Result>(_ context: CommandContext, nodes: NodesUse = .ignored,
                             deployedSpec: DeployedSpecUse = .adopt,
                             _ body: (DeploymentTarget) async throws -> Result) async throws -> Result {
        let target = try resolve(context, nodes: nodes)
        do {
            let adopted = deployedSpec == .adopt ? try await target.adoptingDeployedSpec(progress: context.progress) : target
            let result = try await body(adopted)
            await target.platform.shutdown()
            return result
        } catch {
            await target.platform.shutdown()
            throw error
        }
    }

    /// The Kubernetes platform from the kubeconfig (or the in-cluster service account).
    static func kubernetesPlatform(_ deployment: RedisDeployment, settings: GlobalSettings,
                                   environment: [String: String]) throws -> KubernetesPlatform {
        let kubeContext = try KubeConfigLoader.resolve(kubeconfigPath: settings.kubeconfig,
                                                       contextName: settings.kubeContext, environment: environment)
        let credentials = KubeCredentialProvider(credentials: kubeContext.credentials, environment: environment,
                                                 clusterServer: kubeContext.server, pluginTimeout: settings.timeout)
        let tls = kubeContext.server.scheme == "https" ? try makeTLSConfiguration(kubeContext.tls) : nil
        var configuration = KubernetesClientConfiguration(server: kubeContext.server)
        // Every call, its retries included, within --timeout.
        configuration.connectTimeout = min(.seconds(5), settings.timeout)
        configuration.requestTimeout = settings.timeout
        configuration.retryPolicy.maxTotalTime = min(configuration.retryPolicy.maxTotalTime, settings.timeout)
        configuration.tlsConfiguration = tls
        configuration.tlsServerName = kubeContext.tls.serverName
        configuration.authorization = { try await credentials.authorizationHeader() }
        configuration.onUnauthorized = { await credentials.invalidate() }
        // Pod IPs are routable only inside the cluster; from outside, tunnel through the API server.
        let mode = settings.connect ?? (kubeContext.isInCluster ? .direct : .portForward)
        let connect: KubernetesPlatform.Connect = mode == .direct ? .direct : .portForward
        return KubernetesPlatform(deployment: deployment, client: KubernetesClient(configuration: configuration),
                                  connect: connect)
    }
}

extension LocalHost {
    /// The machine this process runs on, with the command's environment.
    static func thisMachine(environment: [String: String]) -> LocalHost {
        LocalHost(environment: environment, processorCount: ProcessInfo.processInfo.activeProcessorCount,
                  hostName: ProcessInfo.processInfo.hostName)
    }
}
