/// A kind the fake API server serves: where it lives in the URL space and whether it is namespaced.
public struct FakeResourceType: Sendable, Hashable {
    public var group: String
    public var version: String
    public var plural: String
    public var singular: String
    public var kind: String
    public var namespaced: Bool
    /// Status is written only through the status subresource (by the "kubelet"/controllers), so
    /// apply and create ignore it, like the real server.
    public var hasStatusSubresource: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool, hasStatusSubresource: Bool = false) {
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = kind.lowercased()
        self.kind = kind
        self.namespaced = namespaced
        self.hasStatusSubresource = hasStatusSubresource
    }

    /// "v1" or "apps/v1": what objects carry as `apiVersion`.
    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// "configmaps" or "statefulsets.apps": how RBAC and `forbid(verb:resource:)` name it.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The kinds served by default: everything `deploy` touches.
    public static let builtIn: [FakeResourceType] = [
        .init(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false, hasStatusSubresource: true),
        .init(group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false, hasStatusSubresource: true),
        .init(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true),
        .init(group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true),
        .init(group: "", version: "v1", plural: "services", kind: "Service", namespaced: true, hasStatusSubresource: true),
        .init(group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true),
        .init(group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true, hasStatusSubresource: true),
        .init(group: "", version: "v1", plural: "events", kind: "Event", namespaced: true),
        .init(group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true, hasStatusSubresource: true),
        .init(group: "", version: "v1", plural: "resourcequotas", kind: "ResourceQuota", namespaced: true, hasStatusSubresource: true),
        .init(group: "", version: "v1", plural: "limitranges", kind: "LimitRange", namespaced: true),
        .init(group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true, hasStatusSubresource: true),
        .init(group: "policy", version: "v1", plural: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true, hasStatusSubresource: true),
        .init(group: "networking.k8s.io", version: "v1", plural: "networkpolicies", kind: "NetworkPolicy", namespaced: true),
        .init(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true),
        .init(group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true),
        .init(group: "batch", version: "v1", plural: "cronjobs", kind: "CronJob", namespaced: true, hasStatusSubresource: true),
    ]

    /// The Prometheus Operator's CRDs, served only when the options say they are installed.
    public static let monitoring: [FakeResourceType] = [
        .init(group: "monitoring.coreos.com", version: "v1", plural: "servicemonitors", kind: "ServiceMonitor", namespaced: true),
        .init(group: "monitoring.coreos.com", version: "v1", plural: "prometheusrules", kind: "PrometheusRule", namespaced: true),
    ]
}
