extension MonitoringV1 {
    /// Alerting rules, in the same shape `promtool check rules` reads under `spec`.
    public struct PrometheusRule: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "monitoring.coreos.com", version: "v1", kind: "PrometheusRule", plural: "prometheusrules",
            namespaced: true)
        public var apiVersion = "monitoring.coreos.com/v1"
        public var kind = "PrometheusRule"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var groups: [RuleGroup]
            public init(groups: [RuleGroup]) { self.groups = groups }
        }
    }

    public struct RuleGroup: Codable, Sendable, Equatable {
        public var name: String
        public var interval: String?
        public var rules: [Rule]
        public init(name: String, interval: String? = nil, rules: [Rule]) {
            self.name = name
            self.interval = interval
            self.rules = rules
        }
    }

    public struct Rule: Codable, Sendable, Equatable {
        public var alert: String
        public var expr: String
        /// How long the condition must hold before the alert fires (`5m`).
        public var `for`: String?
        public var labels: SortedMap<String>?
        public var annotations: SortedMap<String>?

        public init(
            alert: String,
            expr: String,
            for duration: String? = nil,
            labels: SortedMap<String>? = nil,
            annotations: SortedMap<String>? = nil
        ) {
            self.alert = alert
            self.expr = expr
            self.for = duration
            self.labels = labels
            self.annotations = annotations
        }
    }
}
