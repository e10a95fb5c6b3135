import Spec

/// services.yaml: the headless Service that gives pods their DNS names, the client Service, the
/// metrics Service and one Service per pod.
enum ServicesBuilder {
    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let names = context.names
        let isCluster = context.spec.topology == .cluster
        let redisPorts: [CoreV1.Service.Port] = [
            .init(name: "redis", port: ManifestContext.Port.redis, targetPort: "redis"),
        ] + (isCluster ? [.init(name: "bus", port: ManifestContext.Port.bus, targetPort: "bus")] : [])
        let selector = context.labels.selector(.redis)

        let headless = CoreV1.Service(
            metadata: context.metadata(names.headlessService, .redis),
            spec: .init(
                clusterIP: "None",
                // Pods must resolve each other before they are Ready: the cluster forms before readiness.
                publishNotReadyAddresses: true,
                selector: selector,
                ports: redisPorts))
        let client = CoreV1.Service(
            metadata: context.metadata(names.clientService, .redis),
            spec: .init(
                type: "ClusterIP",
                selector: selector,
                ports: [.init(name: "redis", port: ManifestContext.Port.redis, targetPort: "redis")]))
        let metrics = CoreV1.Service(
            metadata: context.metadata(names.metricsService, .metrics),
            spec: .init(
                type: "ClusterIP",
                selector: selector,
                ports: [.init(name: "metrics", port: ManifestContext.Port.metrics, targetPort: "metrics")]))
        let perPod: [any KubernetesObject] = (0..<context.spec.redisPodCount).map { ordinal in
            let pod = names.pod(ordinal)
            return CoreV1.Service(
                metadata: context.metadata(pod, .redis),
                spec: .init(
                    type: "ClusterIP",
                    publishNotReadyAddresses: true,
                    selector: ["statefulset.kubernetes.io/pod-name": pod],
                    ports: redisPorts))
        }
        return [headless, client, metrics] + perPod
    }
}
