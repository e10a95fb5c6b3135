import ClusterOps
import Platforms
import RedisCtlCore

/// Keeps the platform's per-shard disruption budgets in step with the cluster's shards, after
/// `deploy`, `scale` and `repair` changed or confirmed them.
enum ShardDisruptionBudgets {
    /// Each master serving slots with its replicas, by pod name, as a healthy report lists them.
    static func shards(in report: HealthReport) -> [[String]] {
        report.nodes.filter { $0.role == "master" && $0.slots > 0 }.compactMap { master in
            guard let id = master.id else { return nil }
            return [master.name] + report.nodes.filter { $0.masterId == id }.map(\.name)
        }
    }

    /// Only from a healthy cluster: a node that is down or a failover under way would leave a pod
    /// out of its shard's budget. Otherwise the budgets stay as they are, with a warning.
    static func keep(target: DeploymentTarget, report: HealthReport, progress: any ProgressReporter) async throws -> ApplyResult {
        guard let budgeting = target.platform as? any DisruptionBudgeting else { return ApplyResult() }
        guard report.healthy else {
            progress.warning("disruption budgets left as they are: the cluster is not healthy, so its shards are not certain")
            return ApplyResult()
        }
        return try await budgeting.keepDisruptionBudgets(shards: shards(in: report), of: target.deployment, progress: progress)
    }
}
