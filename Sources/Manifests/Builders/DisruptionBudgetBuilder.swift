import Spec

/// pdb.yaml: how many Redis pods must stay up during drains and upgrades (seed: 4 of 6); with
/// Sentinel, a quorum of sentinels too.
enum DisruptionBudgetBuilder {
    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        var budgets: [any KubernetesObject] = [
            PolicyV1.PodDisruptionBudget(
                metadata: context.metadata(context.names.podDisruptionBudget, .redis),
                spec: .init(
                    minAvailable: .int(context.spec.disruption.minAvailable),
                    selector: LabelSelector(matchLabels: context.labels.selector(.redis)))),
        ]
        if context.spec.topology == .sentinel {
            budgets.append(PolicyV1.PodDisruptionBudget(
                metadata: context.metadata(context.names.sentinelPodDisruptionBudget, .sentinel),
                spec: .init(
                    minAvailable: .int(context.spec.sentinel.quorum),
                    selector: LabelSelector(matchLabels: context.labels.selector(.sentinel)))))
        }
        return budgets
    }
}
