import Spec

/// network-policy.yaml: deny everything to and from this deployment's pods, then allow exactly
/// what it needs: clients on 6379 from the allowed namespaces, the cluster bus between Redis pods,
/// metrics from the monitoring namespace, Sentinel on 26379, DNS, and the backup jobs' way out.
enum NetworkPolicyBuilder {
    typealias Policy = NetworkingV1.NetworkPolicy

    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let spec = context.spec
        let names = context.names
        let labels = context.labels
        let redisPods = Policy.Peer(podSelector: LabelSelector(matchLabels: labels.selector(.redis)))
        let sentinelPods = Policy.Peer(podSelector: LabelSelector(matchLabels: labels.selector(.sentinel)))
        let backupPods = Policy.Peer(podSelector: LabelSelector(matchLabels: labels.selector(.backup)))
        let allowedNamespaces = Policy.Peer(namespaceSelector: namespaces(spec.networkPolicy.allowedNamespaces))
        let monitoring = Policy.Peer(namespaceSelector: namespaces([spec.networkPolicy.monitoringNamespace]))
        let isSentinel = spec.topology == .sentinel
        let redisPort = Policy.Port(port: .int(ManifestContext.Port.redis))
        let busPort = Policy.Port(port: .int(ManifestContext.Port.bus))
        let sentinelPort = Policy.Port(port: .int(ManifestContext.Port.sentinel))

        var policies: [any KubernetesObject] = []
        policies.append(Policy(
            metadata: context.metadata("\(names.cluster)-default-deny", .redis),
            spec: .init(podSelector: LabelSelector(matchLabels: labels.instanceOnly), policyTypes: ["Ingress", "Egress"])))

        policies.append(Policy(
            metadata: context.metadata("\(names.cluster)-allow-dns", .redis),
            spec: .init(
                podSelector: LabelSelector(matchLabels: labels.instanceOnly),
                policyTypes: ["Egress"],
                egress: [.init(
                    to: [.init(
                        namespaceSelector: namespaces(["kube-system"]),
                        podSelector: LabelSelector(matchLabels: ["k8s-app": "kube-dns"]))],
                    ports: [.init(protocol: "UDP", port: 53), .init(protocol: "TCP", port: 53)])])))

        var redisIngress: [Policy.IngressRule] = [
            .init(from: [allowedNamespaces, redisPods, backupPods] + (isSentinel ? [sentinelPods] : []), ports: [redisPort]),
            .init(from: [monitoring], ports: [.init(port: .int(ManifestContext.Port.metrics))]),
        ]
        var redisEgress: [Policy.EgressRule] = [.init(to: [redisPods], ports: [redisPort])]
        if isSentinel {
            redisEgress.append(.init(to: [sentinelPods], ports: [sentinelPort]))
        } else {
            // The cluster bus: between Redis pods only.
            redisIngress.append(.init(from: [redisPods], ports: [busPort]))
            redisEgress.append(.init(to: [redisPods], ports: [busPort]))
        }
        policies.append(Policy(
            metadata: context.metadata("\(names.cluster)-redis", .redis),
            spec: .init(
                podSelector: LabelSelector(matchLabels: labels.selector(.redis)),
                policyTypes: ["Ingress", "Egress"],
                ingress: redisIngress,
                egress: redisEgress)))

        if isSentinel {
            policies.append(Policy(
                metadata: context.metadata("\(names.base)-sentinel", .sentinel),
                spec: .init(
                    podSelector: LabelSelector(matchLabels: labels.selector(.sentinel)),
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [.init(from: [allowedNamespaces, redisPods, sentinelPods], ports: [sentinelPort])],
                    egress: [
                        .init(to: [redisPods], ports: [redisPort]),
                        .init(to: [sentinelPods], ports: [sentinelPort]),
                    ])))
        }

        // Backups read pods from the API server and write to S3, both outside the namespace.
        policies.append(Policy(
            metadata: context.metadata("\(names.base)-backup", .backup),
            spec: .init(
                podSelector: LabelSelector(matchLabels: labels.selector(.backup)),
                policyTypes: ["Ingress", "Egress"],
                egress: [
                    .init(to: [redisPods], ports: [redisPort]),
                    .init(
                        to: [.init(ipBlock: .init(cidr: "0.0.0.0/0"))],
                        ports: [.init(port: 443), .init(port: 6443)]),
                ])))
        return policies
    }

    /// Namespaces by the name label every namespace carries (Kubernetes 1.21+).
    static func namespaces(_ names: [String]) -> LabelSelector {
        LabelSelector(matchExpressions: [
            .init(key: "kubernetes.io/metadata.name", operator: "In", values: names),
        ])
    }
}
