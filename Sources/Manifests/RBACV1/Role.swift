/// The `rbac.authorization.k8s.io/v1` API group.
public enum RBACV1 {}

extension RBACV1 {
    public struct Role: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)
        public var apiVersion = "rbac.authorization.k8s.io/v1"
        public var kind = "Role"
        public var metadata: ObjectMeta
        public var rules: [PolicyRule]

        public init(metadata: ObjectMeta, rules: [PolicyRule]) {
            self.metadata = metadata
            self.rules = rules
        }
    }

    public struct PolicyRule: Codable, Sendable, Equatable {
        public var apiGroups: [String]
        public var resources: [String]
        public var resourceNames: [String]?
        public var verbs: [String]

        public init(apiGroups: [String], resources: [String], resourceNames: [String]? = nil, verbs: [String]) {
            self.apiGroups = apiGroups
            self.resources = resources
            self.resourceNames = resourceNames
            self.verbs = verbs
        }
    }
}
