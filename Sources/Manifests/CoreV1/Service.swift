extension CoreV1 {
    public struct Service: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)
        public var apiVersion = "v1"
        public var kind = "Service"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            /// `ClusterIP` (default), `NodePort`, `LoadBalancer`.
            public var type: String?
            /// `None` makes the Service headless.
            public var clusterIP: String?
            public var publishNotReadyAddresses: Bool?
            public var selector: SortedMap<String>?
            public var ports: [Port]

            public init(
                type: String? = nil,
                clusterIP: String? = nil,
                publishNotReadyAddresses: Bool? = nil,
                selector: SortedMap<String>? = nil,
                ports: [Port]
            ) {
                self.type = type
                self.clusterIP = clusterIP
                self.publishNotReadyAddresses = publishNotReadyAddresses
                self.selector = selector
                self.ports = ports
            }
        }

        public struct Port: Codable, Sendable, Equatable {
            public var name: String
            public var port: Int
            public var targetPort: IntOrString?
            public var `protocol`: String?

            public init(name: String, port: Int, targetPort: IntOrString? = nil, protocol: String? = "TCP") {
                self.name = name
                self.port = port
                self.targetPort = targetPort
                self.protocol = `protocol`
            }
        }
    }
}
