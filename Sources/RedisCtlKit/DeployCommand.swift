import ClusterOps
import Platforms
import RedisCtlCore
import Spec

/// `deploy`: bring the platform to the spec, wait for the pods, form the cluster if needed, verify.
public struct DeployCommand: Sendable {
    /// `--dry-run client` renders only; `--dry-run server` sends everything with `dryRun=All`.
    public enum DryRun: String, Sendable, CaseIterable {
        case client, server
    }

    public var skipInit: Bool
    public var dryRun: DryRun?

    public init(skipInit: Bool = false, dryRun: DryRun? = nil) {
        self.skipInit = skipInit
        self.dryRun = dryRun
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        if dryRun == .client {
            // Nothing is contacted: the manifests deploy would apply, as `render` prints them.
            return try await RenderCommand().run(context)
        }
        return try await DeploymentTarget.with(context) { target in try await run(target: target, context: context) }
    }

    func run(target: DeploymentTarget, context: CommandContext) async throws -> Int32 {
        let deadline = context.deadline()
        let progress = context.progress
        if dryRun == .server {
            guard let checker = target.platform as? any ServerSideDryRunning else {
                throw GeneralFailure(.usage, "--dry-run server needs the kubernetes platform; use --dry-run client to see the manifests")
            }
            let objects = try await checker.serverDryRun(target.deployment, progress: progress)
            try context.emit(DeployResult(cluster: target.clusterName, platform: target.platform.kind,
                                          applied: ApplyResult(objects), dryRun: objects))
            return 0
        }
        // The target already has the cluster's recorded size (a scaled cluster keeps it) and, without
        // a spec file, its recorded spec: a re-run with nothing new changes nothing.
        let spec = target.deployment.spec
        if let deployed = target.deployed {
            if deployed.spec.tls.enabled != spec.tls.enabled {
                // A rolling restart would leave nodes that speak TLS beside nodes that do not, and
                // the cluster bus between them down.
                throw GeneralFailure(.cannotRun, "spec.tls.enabled cannot change on a running cluster (it is "
                    + "\(deployed.spec.tls.enabled ? "on" : "off")); destroy it (its data is kept) and deploy again")
            }
            let changed = deployed.differences(from: target.deployment)
            if !changed.isEmpty {
                progress.step("the spec differs from the deployed one in \(RedisDeployment.summary(of: changed))")
            }
        }
        progress.step("deploying \(target.clusterName) on the \(target.platform.kind) platform "
                      + "(\(spec.masters) masters x \(1 + spec.replicasPerMaster) nodes)")
        let applied = try await target.platform.apply(target.deployment, removalGuard: target.removalGuard(progress: progress),
                                                      deadline: deadline, progress: progress)
        let pods = try await target.platform.waitForPods(count: spec.redisPodCount, deadline: deadline, progress: progress)
        progress.step("\(pods.count)/\(spec.redisPodCount) pods ready")
        var result = DeployResult(cluster: target.clusterName, platform: target.platform.kind, applied: applied)
        if skipInit {
            try context.emit(result)
            return 0
        }
        let connector = try await target.connector(deadline: deadline)
        if let live = try await LiveShape.read(pods: pods, connector: connector), !live.hasInitialLayout {
            // Slots were moved by scale: the cluster is formed, and init-cluster's layout no longer applies.
            result.initStatus = InitClusterOutcome.Status.alreadyInitialized.rawValue
        } else {
            let initializer = ClusterInitializer(connector: connector, progress: progress,
                                                 configuredNodeTimeoutMs: spec.redis.clusterNodeTimeoutMs,
                                                 formationRecord: try target.formationRecord(nodes: pods))
            let outcome = try await initializer.run(
                candidates: pods.map(\.layoutCandidate), masters: spec.masters,
                replicasPerMaster: spec.replicasPerMaster, dryRun: false, deadline: deadline)
            result.initStatus = outcome.status.rawValue
        }
        try await syncAccessControl(target: target, pods: pods, deadline: deadline)
        // Pods whose configuration changed (a new maxmemory, image, ...) are restarted one by
        // one with the cluster healthy in between; apply itself never restarts a running pod.
        result.restarted = try await RollingRestart(target: target, progress: progress).run(deadline: deadline)
        let current = result.restarted.isEmpty ? pods : try await target.platform.pods()
        let report = try await VerifyCommand().report(target: target, nodes: current)
        result.verify = report
        result.applied.merge(try await ShardDisruptionBudgets.keep(target: target, report: report, progress: progress))
        try context.emit(result)
        return report.healthy ? 0 : 1
    }
}

extension DeployCommand {
    /// The spec's ACL users on every running node (the config files hold them for restarts).
    func syncAccessControl(target: DeploymentTarget, pods: [PodEndpoint], deadline: Deadline) async throws {
        let users = target.deployment.spec.auth.effectiveUsers
        let passwords = try await target.platform.userPasswords(for: target.deployment)
        let arguments = users.compactMap { user in passwords[user.name].map { RedisConfigBuilder.aclArguments(user, $0) } }
        let replication = passwords[ACLUsers.replication.name].map { (user: ACLUsers.replication.name, password: $0.current) }
        try await AccessControlSync(connector: try await target.connector(deadline: deadline))
            .apply(users: arguments, replication: replication, to: pods.map { (name: $0.name, endpoint: $0.endpoint) })
    }
}

struct DeployResult: CommandResult, Decodable {
    let cluster: String
    let platform: String
    var applied: ApplyResult
    var initStatus: String?
    var restarted: [String] = []
    var verify: HealthReport?
    /// `--dry-run server`: each object's outcome, and whether the server could check it.
    var dryRun: [DryRunObject]?

    var changed: Bool {
        applied.changedAnything || !restarted.isEmpty || (initStatus.map { $0 != "already-initialized" } ?? false)
    }

    enum CodingKeys: String, CodingKey {
        case cluster, platform, changed, applied, initStatus = "init", restarted, verify, healthy, dryRun, objects
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(platform, forKey: .platform)
        try container.encode(changed, forKey: .changed)
        try container.encode(applied, forKey: .applied)
        try container.encodeIfPresent(initStatus, forKey: .initStatus)
        try container.encode(restarted, forKey: .restarted)
        try container.encodeIfPresent(verify, forKey: .verify)
        try container.encodeIfPresent(verify?.healthy, forKey: .healthy)
        if let dryRun {
            try container.encode(true, forKey: .dryRun)
            try container.encode(dryRun, forKey: .objects)
        }
    }

    /// Reads the JSON `encode` writes (derived keys, `changed` and `healthy`, are recomputed).
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cluster = try container.decode(String.self, forKey: .cluster)
        platform = try container.decode(String.self, forKey: .platform)
        applied = try container.decode(ApplyResult.self, forKey: .applied)
        initStatus = try container.decodeIfPresent(String.self, forKey: .initStatus)
        restarted = try container.decode([String].self, forKey: .restarted)
        verify = try container.decodeIfPresent(HealthReport.self, forKey: .verify)
        dryRun = try container.decodeIfPresent([DryRunObject].self, forKey: .objects)
    }

    init(cluster: String, platform: String, applied: ApplyResult, initStatus: String? = nil, restarted: [String] = [],
         verify: HealthReport? = nil, dryRun: [DryRunObject]? = nil) {
        self.cluster = cluster
        self.platform = platform
        self.applied = applied
        self.initStatus = initStatus
        self.restarted = restarted
        self.verify = verify
        self.dryRun = dryRun
    }

    var text: String {
        var lines: [String] = dryRun == nil ? [] : ["dry run (server): nothing was stored"]
        let unchecked = dryRun?.filter { !$0.checked } ?? []
        let uncheckedNames = Set(unchecked.map(\.object))
        let created = applied.created.filter { !uncheckedNames.contains($0) }
        if applied.changedAnything {
            if !created.isEmpty { lines.append("created: \(created.joined(separator: ", "))") }
            if !applied.updated.isEmpty { lines.append("updated: \(applied.updated.joined(separator: ", "))") }
            lines += unchecked.map { "\($0.object): \($0.note ?? "not checked by the server")" }
        } else {
            lines.append("no changes to \(applied.unchanged.count) pods")
        }
        if let initStatus { lines.append("cluster: \(initStatus)") }
        if !restarted.isEmpty { lines.append("restarted one at a time: \(restarted.joined(separator: ", "))") }
        if let verify { lines += ["", VerifyResult(report: verify).text] }
        return lines.joined(separator: "\n")
    }
}
