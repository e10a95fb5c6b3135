import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import Spec

extension KubernetesPlatform: DisruptionBudgeting {
    public func keepDisruptionBudgets(shards: [[String]], of deployment: RedisDeployment,
                                      progress: any ProgressReporter) async throws -> ApplyResult {
        var result = ApplyResult()
        let wanted = ManifestSet.shardDisruptionBudgets(for: deployment, shards: shards)
        for budget in wanted {
            switch try await apply(budget, dryRun: false, progress: progress) {
            case .created: result.created.append(budget.displayName)
            case .updated: result.updated.append(budget.displayName)
            case .unchanged: result.unchanged.append(budget.displayName)
            }
        }
        // The deployment's other budgets (one over all Redis pods, the sentinels') stay.
        let rendered = try ManifestSet.build(from: deployment, options: RenderOptions()).allObjects
            .filter { $0 is PolicyV1.PodDisruptionBudget && !ManifestSet.isShardDisruptionBudget($0) }
            .map(\.metadata.name)
        let keep = Set(wanted.map(\.metadata.name)).union(rendered)
        for name in try await redisDisruptionBudgets() where !keep.contains(name) {
            let path = PolicyV1.PodDisruptionBudget.resource.objectPath(name: name, namespace: namespace)
            if try await client.delete(path) {
                result.deleted.append("PodDisruptionBudget \(namespace)/\(name)")
                progress.detail("deleted PodDisruptionBudget \(namespace)/\(name)")
            }
        }
        return result
    }

    /// Names of the budgets over this deployment's Redis pods (its labels, the pods' selector).
    func redisDisruptionBudgets() async throws -> [String] {
        let list = try await client.list(PolicyV1.PodDisruptionBudget.resource.collectionPath(namespace: namespace),
                                         labelSelector: podSelector)
        return list.items.compactMap { $0["metadata"]["name"].string }.sorted()
    }
}
