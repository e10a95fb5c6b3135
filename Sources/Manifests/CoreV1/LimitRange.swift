import Spec

extension CoreV1 {
    /// Defaults and bounds for containers that do not state their own resources.
    public struct LimitRange: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "LimitRange", plural: "limitranges", namespaced: true)
        public var apiVersion = "v1"
        public var kind = "LimitRange"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var limits: [Item]
            public init(limits: [Item]) { self.limits = limits }
        }

        public struct Item: Codable, Sendable, Equatable {
            /// `Container`, `Pod` or `PersistentVolumeClaim`.
            public var type: String
            public var `default`: SortedMap<Quantity>?
            public var defaultRequest: SortedMap<Quantity>?
            public var max: SortedMap<Quantity>?
            public var min: SortedMap<Quantity>?

            public init(
                type: String,
                default: SortedMap<Quantity>? = nil,
                defaultRequest: SortedMap<Quantity>? = nil,
                max: SortedMap<Quantity>? = nil,
                min: SortedMap<Quantity>? = nil
            ) {
                self.type = type
                self.default = `default`
                self.defaultRequest = defaultRequest
                self.max = max
                self.min = min
            }
        }
    }
}
