/// The `policy/v1` API group.
public enum PolicyV1 {}

extension PolicyV1 {
    public struct PodDisruptionBudget: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets",
            namespaced: true)
        public var apiVersion = "policy/v1"
        public var kind = "PodDisruptionBudget"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var minAvailable: IntOrString?
            public var maxUnavailable: IntOrString?
            public var selector: LabelSelector

            public init(minAvailable: IntOrString? = nil, maxUnavailable: IntOrString? = nil, selector: LabelSelector) {
                self.minAvailable = minAvailable
                self.maxUnavailable = maxUnavailable
                self.selector = selector
            }
        }
    }
}
