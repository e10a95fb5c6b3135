import Spec

/// monitoring.yaml: the ServiceMonitor for the exporters, the alerting rules and the Grafana
/// dashboard ConfigMap (picked up by Grafana's dashboard sidecar through its label).
enum MonitoringBuilder {
    static func build(_ context: ManifestContext) throws -> [any KubernetesObject] {
        let monitoring = context.spec.monitoring
        let names = context.names
        var objects: [any KubernetesObject] = []
        if monitoring.serviceMonitor {
            objects.append(MonitoringV1.ServiceMonitor(
                metadata: context.metadata(names.serviceMonitor, .metrics),
                spec: .init(
                    jobLabel: ManifestLabels.instanceKey,
                    selector: LabelSelector(matchLabels: context.labels.selector(.metrics)),
                    namespaceSelector: .init(matchNames: [names.namespace]),
                    endpoints: [.init(port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s")])))
        }
        if monitoring.prometheusRule {
            objects.append(prometheusRule(context))
        }
        if monitoring.grafanaDashboard {
            let dashboard = GrafanaDashboard.build(context)
            let json: String
            do {
                json = try dashboard.json()
            } catch {
                throw ManifestsError.encodingFailed(object: "Grafana dashboard", reason: "\(error)")
            }
            var metadata = context.metadata(names.grafanaDashboard, .monitoring)
            metadata.labels?["grafana_dashboard"] = "1"
            objects.append(CoreV1.ConfigMap(metadata: metadata, data: ["\(names.cluster).json": json]))
        }
        return objects
    }

    static func prometheusRule(_ context: ManifestContext) -> MonitoringV1.PrometheusRule {
        MonitoringV1.PrometheusRule(
            metadata: context.metadata(context.names.prometheusRule, .monitoring),
            spec: .init(groups: AlertRulesBuilder.groups(context)))
    }
}
