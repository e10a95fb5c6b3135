extension CoreV1 {
    public struct Namespace: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)
        public var apiVersion = "v1"
        public var kind = "Namespace"
        public var metadata: ObjectMeta

        public init(metadata: ObjectMeta) { self.metadata = metadata }
    }
}
