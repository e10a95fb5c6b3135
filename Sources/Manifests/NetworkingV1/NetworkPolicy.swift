/// The `networking.k8s.io/v1` API group.
public enum NetworkingV1 {}

extension NetworkingV1 {
    public struct NetworkPolicy: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies",
            namespaced: true)
        public var apiVersion = "networking.k8s.io/v1"
        public var kind = "NetworkPolicy"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            /// An empty selector selects every pod in the namespace.
            public var podSelector: LabelSelector
            /// `Ingress`, `Egress`: a listed type with no matching rule denies that direction.
            public var policyTypes: [String]
            public var ingress: [IngressRule]?
            public var egress: [EgressRule]?

            public init(
                podSelector: LabelSelector,
                policyTypes: [String],
                ingress: [IngressRule]? = nil,
                egress: [EgressRule]? = nil
            ) {
                self.podSelector = podSelector
                self.policyTypes = policyTypes
                self.ingress = ingress
                self.egress = egress
            }
        }

        public struct IngressRule: Codable, Sendable, Equatable {
            public var from: [Peer]?
            public var ports: [Port]?
            public init(from: [Peer]? = nil, ports: [Port]? = nil) {
                self.from = from
                self.ports = ports
            }
        }

        public struct EgressRule: Codable, Sendable, Equatable {
            public var to: [Peer]?
            public var ports: [Port]?
            public init(to: [Peer]? = nil, ports: [Port]? = nil) {
                self.to = to
                self.ports = ports
            }
        }

        /// Pods matching both selectors when both are given.
        public struct Peer: Codable, Sendable, Equatable {
            public var namespaceSelector: LabelSelector?
            public var podSelector: LabelSelector?
            public var ipBlock: IPBlock?
            public init(namespaceSelector: LabelSelector? = nil, podSelector: LabelSelector? = nil, ipBlock: IPBlock? = nil) {
                self.namespaceSelector = namespaceSelector
                self.podSelector = podSelector
                self.ipBlock = ipBlock
            }
        }

        public struct IPBlock: Codable, Sendable, Equatable {
            public var cidr: String
            public var except: [String]?
            public init(cidr: String, except: [String]? = nil) {
                self.cidr = cidr
                self.except = except
            }
        }

        public struct Port: Codable, Sendable, Equatable {
            public var `protocol`: String
            public var port: IntOrString
            public init(protocol: String = "TCP", port: IntOrString) {
                self.protocol = `protocol`
                self.port = port
            }
        }
    }
}
