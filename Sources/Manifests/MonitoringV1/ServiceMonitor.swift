/// The Prometheus Operator's `monitoring.coreos.com/v1` API group (custom resources).
public enum MonitoringV1 {}

extension MonitoringV1 {
    public struct ServiceMonitor: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "monitoring.coreos.com", version: "v1", kind: "ServiceMonitor", plural: "servicemonitors",
            namespaced: true)
        public var apiVersion = "monitoring.coreos.com/v1"
        public var kind = "ServiceMonitor"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var jobLabel: String?
            public var selector: LabelSelector
            public var namespaceSelector: NamespaceSelector?
            public var endpoints: [Endpoint]

            public init(
                jobLabel: String? = nil,
                selector: LabelSelector,
                namespaceSelector: NamespaceSelector? = nil,
                endpoints: [Endpoint]
            ) {
                self.jobLabel = jobLabel
                self.selector = selector
                self.namespaceSelector = namespaceSelector
                self.endpoints = endpoints
            }
        }

        public struct NamespaceSelector: Codable, Sendable, Equatable {
            public var matchNames: [String]
            public init(matchNames: [String]) { self.matchNames = matchNames }
        }

        public struct Endpoint: Codable, Sendable, Equatable {
            /// The Service port's name.
            public var port: String
            public var path: String?
            public var interval: String?
            public var scrapeTimeout: String?

            public init(port: String, path: String? = nil, interval: String? = nil, scrapeTimeout: String? = nil) {
                self.port = port
                self.path = path
                self.interval = interval
                self.scrapeTimeout = scrapeTimeout
            }
        }
    }
}
