import Spec

extension CoreV1 {
    /// Caps what a namespace may request in total.
    public struct ResourceQuota: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "ResourceQuota", plural: "resourcequotas", namespaced: true)
        public var apiVersion = "v1"
        public var kind = "ResourceQuota"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            /// Keys such as `requests.cpu`, `requests.memory`, `requests.storage`, `pods`, `services`.
            public var hard: SortedMap<Quantity>
            public init(hard: SortedMap<Quantity>) { self.hard = hard }
        }
    }
}
