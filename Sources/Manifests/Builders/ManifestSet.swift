import Foundation
import Spec

/// Everything a deployment needs in Kubernetes, grouped into the files `render --out` writes and
/// ordered so that applying the groups in order never references something not yet there.
public enum ManifestSet {
    public static func build(from deployment: RedisDeployment, options: RenderOptions = .init()) throws
        -> [ManifestGroup]
    {
        // Builders assume a valid spec (pod counts, quantities); a bad one is reported, never trapped on.
        if let problem = SpecValidator.validate(deployment) { throw problem }
        let context = ManifestContext(deployment, options: options)
        let spec = deployment.spec
        if options.withSecrets, options.password == nil {
            throw ManifestsError.invalidSpec(
                field: "password", reason: "secret values were asked for but no password was given")
        }
        var groups: [ManifestGroup] = [
            .init(fileName: ManifestFileName.namespace, objects: NamespaceBuilder.build(context)),
            .init(fileName: ManifestFileName.secrets, objects: SecretsBuilder.build(context)),
            .init(fileName: ManifestFileName.configMap, objects: RedisConfigMapBuilder.build(context)),
            .init(fileName: ManifestFileName.rbac, objects: RBACBuilder.build(context)),
            .init(fileName: ManifestFileName.services, objects: ServicesBuilder.build(context)),
            .init(fileName: ManifestFileName.statefulSet, objects: RedisStatefulSetBuilder.build(context)),
        ]
        if spec.topology == .sentinel {
            groups += [
                .init(fileName: ManifestFileName.sentinelService, objects: SentinelBuilder.services(context)),
                .init(fileName: ManifestFileName.sentinelStatefulSet, objects: SentinelBuilder.statefulSet(context)),
            ]
        }
        groups.append(.init(fileName: ManifestFileName.podDisruptionBudget, objects: DisruptionBudgetBuilder.build(context)))
        if spec.networkPolicy.enabled {
            groups.append(.init(fileName: ManifestFileName.networkPolicy, objects: NetworkPolicyBuilder.build(context)))
        }
        let monitoring = try MonitoringBuilder.build(context)
        if !monitoring.isEmpty {
            groups.append(.init(fileName: ManifestFileName.monitoring, objects: monitoring))
        }
        groups.append(.init(fileName: ManifestFileName.backup, objects: BackupCronJobBuilder.build(context)))
        return groups
    }
}

extension ManifestSet {
    /// The shards' disruption budgets for `shards` (each the pod names of a master and its
    /// replicas, as the formed cluster has them); empty when the spec has no shard budgets.
    public static func shardDisruptionBudgets(for deployment: RedisDeployment, shards: [[String]]) -> [PolicyV1.PodDisruptionBudget] {
        guard DisruptionBudgetBuilder.usesShardBudgets(deployment.spec) else { return [] }
        return DisruptionBudgetBuilder.shardBudgets(ManifestContext(deployment, options: RenderOptions()), shards: shards)
    }

    /// A shard's budget: `deploy` writes these from the cluster's shards, not from the rendered plan.
    public static func isShardDisruptionBudget(_ object: any KubernetesObject) -> Bool {
        (object as? PolicyV1.PodDisruptionBudget)?.metadata.labels?[DisruptionBudgetBuilder.shardLabel] != nil
    }
}
