import Spec

/// namespace.yaml: the namespace with the seed's quota and a LimitRange for containers that state
/// no resources of their own.
enum NamespaceBuilder {
    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let namespace = CoreV1.Namespace(metadata: ObjectMeta(
            name: context.namespace,
            labels: context.labels.all(.namespace).merging([
                // Pod Security Admission: the pods meet the restricted profile.
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            ])))
        let quota = CoreV1.ResourceQuota(
            metadata: context.metadata("\(context.names.base)-quota", .namespace),
            spec: .init(hard: quota(context)))
        let limits = CoreV1.LimitRange(
            metadata: context.metadata("\(context.names.base)-limits", .namespace),
            spec: .init(limits: [
                .init(
                    type: "Container",
                    default: ["cpu": "500m", "memory": "512Mi"],
                    defaultRequest: ["cpu": "100m", "memory": "128Mi"],
                    max: ["cpu": "8", "memory": "32Gi"]),
                .init(type: "PersistentVolumeClaim", max: ["storage": "1Ti"], min: ["storage": "1Gi"]),
            ]))
        return [namespace, quota, limits]
    }

    /// The seed's quota (24 CPU, 96Gi, 1Ti, 30 pods, 20 services), raised when the spec needs more:
    /// half as much again as the deployment requests, room for a rolling restart and the backups.
    static func quota(_ context: ManifestContext) -> SortedMap<Quantity> {
        let spec = context.spec
        let gibibyte = Double(1 << 30)
        let redisPods = Double(spec.redisPodCount)
        let sentinels = spec.topology == .sentinel ? Double(spec.sentinel.replicas) : 0
        // Per Redis pod: Redis plus its exporter (0.1 CPU, 128Mi); per sentinel: 0.1 CPU, 256Mi.
        let cpu = redisPods * ((spec.resources.requests.cpu.value ?? 0) + 0.1) + sentinels * 0.1
        let memory = redisPods * ((spec.resources.requests.memory.value ?? 0) / gibibyte + 0.125) + sentinels * 0.25
        let storage = redisPods * ((spec.storage.size.value ?? 0) / gibibyte) + sentinels * 10
        let services = 3 + spec.redisPodCount + (spec.topology == .sentinel ? 2 : 0)
        func atLeast(_ seed: Int, _ needed: Double) -> Int { max(seed, Int((needed * 1.5).rounded(.up))) }
        let storageGi = atLeast(1024, storage)
        return [
            "requests.cpu": Quantity(stringLiteral: String(atLeast(24, cpu))),
            "requests.memory": Quantity(stringLiteral: "\(atLeast(96, memory))Gi"),
            "requests.storage": Quantity(stringLiteral: storageGi == 1024 ? "1Ti" : "\(storageGi)Gi"),
            "pods": Quantity(stringLiteral: String(atLeast(30, redisPods + sentinels + 2))),
            "services": Quantity(stringLiteral: String(max(20, services + 5))),
        ]
    }
}
