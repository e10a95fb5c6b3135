import Spec

/// pdb.yaml: how voluntary disruptions (drains, upgrades) may take Redis pods. With replicas, each
/// shard (a master and its replicas) gets a budget of its own allowing one pod down, so an eviction
/// never takes a master together with its replica; the cluster as a whole may lose one pod per
/// shard. Without replicas, and for the sentinel topology's one primary with its replicas, one
/// budget over the Redis pods allows one down at a time. Sentinels keep a quorum.
/// `spec.disruption.minAvailable` replaces all that by one budget over every Redis pod.
enum DisruptionBudgetBuilder {
    /// Marks a shard's budget: `deploy` and `scale` write these from the formed cluster's shards.
    static let shardLabel = "redisctl.io/shard"

    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let spec = context.spec
        var budgets: [any KubernetesObject] = []
        if usesShardBudgets(spec) {
            budgets += shardBudgets(context, shards: plannedShards(context))
        } else {
            budgets.append(PolicyV1.PodDisruptionBudget(
                metadata: context.metadata(context.names.podDisruptionBudget, .redis),
                spec: .init(
                    minAvailable: spec.disruption.minAvailable.map { .int($0) },
                    maxUnavailable: spec.disruption.minAvailable == nil ? .int(1) : nil,
                    selector: LabelSelector(matchLabels: context.labels.selector(.redis)))))
        }
        if spec.topology == .sentinel {
            budgets.append(PolicyV1.PodDisruptionBudget(
                metadata: context.metadata(context.names.sentinelPodDisruptionBudget, .sentinel),
                spec: .init(
                    minAvailable: .int(spec.sentinel.quorum),
                    selector: LabelSelector(matchLabels: context.labels.selector(.sentinel)))))
        }
        return budgets
    }

    /// Whether the deployment's Redis pods get one budget per shard.
    public static func usesShardBudgets(_ spec: DeploymentSpec) -> Bool {
        spec.topology == .cluster && spec.replicasPerMaster > 0 && spec.disruption.minAvailable == nil
    }

    /// One budget per shard, named after its lowest pod ordinal (a failover keeps the name: the
    /// shard keeps its pods), selecting its pods by `statefulset.kubernetes.io/pod-name`.
    static func shardBudgets(_ context: ManifestContext, shards: [[String]]) -> [PolicyV1.PodDisruptionBudget] {
        shards.filter { !$0.isEmpty }.map { pods in
            let ordinals = pods.compactMap { context.names.ordinal(ofPod: $0) }
            let name = context.names.shardDisruptionBudget(lowestOrdinal: ordinals.min() ?? 0)
            var metadata = context.metadata(name, .redis)
            var labels = metadata.labels ?? SortedMap()
            labels[shardLabel] = String(ordinals.min() ?? 0)
            metadata.labels = labels
            return PolicyV1.PodDisruptionBudget(
                metadata: metadata,
                spec: .init(
                    maxUnavailable: .int(1),
                    selector: LabelSelector(
                        matchLabels: context.labels.selector(.redis),
                        matchExpressions: [.init(key: "statefulset.kubernetes.io/pod-name", operator: "In",
                                                 values: pods.sorted { lhs, rhs in
                                                     (context.names.ordinal(ofPod: lhs) ?? 0) < (context.names.ordinal(ofPod: rhs) ?? 0)
                                                 })])))
        }
    }

    /// The shards `init-cluster` forms when it knows nothing of the pods' placement: masters are
    /// pods 0..<M and pod `M*r + i` replicates master `i`. `deploy` writes the formed cluster's.
    static func plannedShards(_ context: ManifestContext) -> [[String]] {
        let masters = context.spec.masters
        return (0..<masters).map { shard in
            (0...context.spec.replicasPerMaster).map { context.names.pod(shard + $0 * masters) }
        }
    }
}
