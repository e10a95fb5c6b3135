extension CoreV1 {
    public struct ServiceAccount: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)
        public var apiVersion = "v1"
        public var kind = "ServiceAccount"
        public var metadata: ObjectMeta
        public var automountServiceAccountToken: Bool?

        public init(metadata: ObjectMeta, automountServiceAccountToken: Bool? = nil) {
            self.metadata = metadata
            self.automountServiceAccountToken = automountServiceAccountToken
        }
    }
}
