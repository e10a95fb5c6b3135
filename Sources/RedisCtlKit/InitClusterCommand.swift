import ClusterOps
import Platforms
import RedisCtlCore

/// `init-cluster`: form the cluster from the platform's pods (or `--nodes`).
public struct InitClusterCommand: Sendable {
    public var masters: Int?
    public var replicasPerMaster: Int?
    public var dryRun: Bool

    public init(masters: Int? = nil, replicasPerMaster: Int? = nil, dryRun: Bool = false) {
        self.masters = masters
        self.replicasPerMaster = replicasPerMaster
        self.dryRun = dryRun
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        if let problem = ShapeFlags.problem(masters: masters, replicasPerMaster: replicasPerMaster) {
            throw GeneralFailure(.usage, problem)
        }
        return try await DeploymentTarget.with(context, nodes: .insteadOfPlatform) { target in
            let outcome = try await run(target: target, context: context, deadline: context.deadline())
            try context.emit(InitClusterResult(cluster: target.clusterName, outcome: outcome))
            return 0
        }
    }

    func run(target: DeploymentTarget, context: CommandContext, deadline: Deadline) async throws -> InitClusterOutcome {
        let spec = target.deployment.spec
        let masters = self.masters ?? spec.masters
        let replicas = self.replicasPerMaster ?? spec.replicasPerMaster
        let pods = try await target.nodes()
        // Nodes redisctl did not configure have no configured node timeout to fall back on.
        let initializer = ClusterInitializer(
            connector: try await target.connector(deadline: deadline), progress: context.progress,
            configuredNodeTimeoutMs: target.usesExplicitNodes ? nil : spec.redis.clusterNodeTimeoutMs,
            formationRecord: try target.formationRecord(nodes: pods))
        return try await initializer.run(candidates: pods.map(\.layoutCandidate), masters: masters,
                                         replicasPerMaster: replicas, dryRun: dryRun, deadline: deadline)
    }
}

/// What `init-cluster` did: the JSON of `-o json`, as plain data, so the same type reads it back.
struct InitClusterResult: CommandResult, Codable {
    let cluster: String
    let status: InitClusterOutcome.Status
    let layout: LayoutSummary
    let steps: [String]
    let elapsedSeconds: Double

    init(cluster: String, outcome: InitClusterOutcome) {
        self.cluster = cluster
        status = outcome.status
        layout = LayoutSummary(outcome.layout)
        steps = outcome.steps
        elapsedSeconds = (outcome.elapsedSeconds * 1000).rounded() / 1000
    }

    var text: String {
        var lines: [String] = []
        switch status {
        case .alreadyInitialized: lines.append("cluster \(cluster) is already initialised; nothing to do")
        case .formed: lines.append("cluster \(cluster) formed in \(String(format: "%.2f", elapsedSeconds))s")
        case .resumed: lines.append("cluster \(cluster) completed (resumed) in \(String(format: "%.2f", elapsedSeconds))s")
        case .planned: lines.append("plan for cluster \(cluster) (dry run, nothing changed):")
        }
        let rows = layout.masters.map { [$0.name, $0.address, "master", $0.slots, ""] }
            + layout.replicas.map { [$0.name, $0.address, "replica", "", $0.master] }
        lines.append(TextTable.render(header: ["NODE", "ADDRESS", "ROLE", "SLOTS", "REPLICA OF"], rows: rows))
        if status == .planned {
            lines.append(steps.isEmpty ? "no steps needed" : "steps:")
            lines += steps.map { "  - \($0)" }
        }
        lines += layout.warnings.map { "warning: \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// The layout in the JSON of `init-cluster -o json`.
struct LayoutSummary: Codable {
    struct Master: Codable { let name: String; let address: String; let slots: String; let configEpoch: Int }
    struct Replica: Codable { let name: String; let address: String; let master: String }
    let masters: [Master]
    let replicas: [Replica]
    let unused: [String]
    let warnings: [String]

    init(_ plan: LayoutPlan) {
        masters = plan.masters.map { Master(name: $0.candidate.name, address: $0.candidate.address,
                                            slots: $0.slots.description, configEpoch: $0.configEpoch) }
        replicas = plan.replicas.map { Replica(name: $0.candidate.name, address: $0.candidate.address, master: $0.masterName) }
        unused = plan.unused.map(\.name)
        warnings = plan.warnings
    }
}
