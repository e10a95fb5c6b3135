extension RBACV1 {
    public struct RoleBinding: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings",
            namespaced: true)
        public var apiVersion = "rbac.authorization.k8s.io/v1"
        public var kind = "RoleBinding"
        public var metadata: ObjectMeta
        public var roleRef: RoleRef
        public var subjects: [Subject]

        public init(metadata: ObjectMeta, roleRef: RoleRef, subjects: [Subject]) {
            self.metadata = metadata
            self.roleRef = roleRef
            self.subjects = subjects
        }
    }

    public struct RoleRef: Codable, Sendable, Equatable {
        public var apiGroup: String
        public var kind: String
        public var name: String
        public init(kind: String, name: String) {
            self.apiGroup = "rbac.authorization.k8s.io"
            self.kind = kind
            self.name = name
        }
    }

    public struct Subject: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String
        public var namespace: String?
        public init(kind: String, name: String, namespace: String? = nil) {
            self.kind = kind
            self.name = name
            self.namespace = namespace
        }
    }
}
