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
            spec: .init(hard: [
                "requests.cpu": "24",
                "requests.memory": "96Gi",
                "requests.storage": "1Ti",
                "pods": "30",
                "services": "20",
            ]))
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
}
