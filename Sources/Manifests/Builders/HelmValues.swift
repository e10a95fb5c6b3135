import Spec

/// Values for the bitnami/redis-cluster chart equivalent to the spec, for `render --format
/// helm-values` (the seed's `helm install redis bitnami/redis-cluster -f helm-values.yaml`).
public enum HelmValues {
    /// The Helm release the values are written for; it names the chart's Services.
    public static let defaultReleaseName = "redis"

    public static func render(_ deployment: RedisDeployment, releaseName: String = defaultReleaseName) throws -> String {
        try YAMLRenderer.renderDocument(build(deployment, releaseName: releaseName), name: "Helm values")
    }

    static func build(_ deployment: RedisDeployment, releaseName: String) throws -> Values {
        if let problem = SpecValidator.validate(deployment) { throw problem }
        let spec = deployment.spec
        guard spec.topology == .cluster else {
            throw ManifestsError.invalidSpec(
                field: "spec.topology",
                reason: "the bitnami/redis-cluster chart runs Redis Cluster only; use bitnami/redis for sentinel")
        }
        let context = ManifestContext(deployment, options: .init())
        // The chart's fullname: the release name, plus the chart's name unless the release contains it.
        let fullName = releaseName.contains("redis-cluster") ? releaseName : "\(releaseName)-redis-cluster"
        // The chart sets these itself from the values below.
        let chartManaged: Set<String> = ["cluster-enabled", "appendonly", "protected-mode"]
        let redisConf = RedisConfig(RedisConfigBuilder.common(for: spec).filter { !chartManaged.contains($0.name) })
        let resources = CoreV1.ResourceRequirements(
            requests: ["cpu": spec.resources.requests.cpu, "memory": spec.resources.requests.memory],
            limits: ["cpu": spec.resources.limits.cpu, "memory": spec.resources.limits.memory])
        let exporter = ImageReference(spec.monitoring.exporterImage)
        let clientPeers = [
            NetworkingV1.NetworkPolicy.Peer(
                namespaceSelector: NetworkPolicyBuilder.namespaces(spec.networkPolicy.allowedNamespaces)),
            NetworkingV1.NetworkPolicy.Peer(
                namespaceSelector: NetworkPolicyBuilder.namespaces([spec.networkPolicy.monitoringNamespace])),
        ]
        return Values(
            image: .init(registry: "docker.io", repository: "bitnami/redis-cluster", tag: redisVersion(spec.image)),
            usePassword: true,
            existingSecret: spec.auth.secretName,
            existingSecretPasswordKey: "password",
            cluster: .init(nodes: spec.redisPodCount, replicas: spec.replicasPerMaster),
            redis: .init(
                useAOFPersistence: spec.redis.appendonly ? "yes" : "no",
                configmap: redisConf.render(),
                resources: resources,
                podAntiAffinityPreset: spec.placement.antiAffinity == .required ? "hard"
                    : spec.placement.antiAffinity == .preferred ? "soft" : "",
                podSecurityContext: .init(enabled: true, fsGroup: ManifestContext.redisUID),
                containerSecurityContext: .init(
                    enabled: true, runAsUser: ManifestContext.redisUID, runAsGroup: ManifestContext.redisUID,
                    runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
                    capabilities: .init(drop: ["ALL"]), seccompProfile: .init(type: "RuntimeDefault"))),
            persistence: .init(
                size: spec.storage.size, storageClass: spec.storage.storageClassName, accessModes: ["ReadWriteOnce"]),
            tls: .init(
                enabled: spec.tls.enabled, authClients: false, existingSecret: spec.tls.secretName,
                certFilename: "tls.crt", certKeyFilename: "tls.key", certCAFilename: "ca.crt"),
            // The chart has one budget for all pods: at most one pod at a time is the nearest to ours.
            pdb: .init(create: true, minAvailable: spec.disruption.minAvailable,
                       maxUnavailable: spec.disruption.minAvailable == nil ? 1 : nil),
            networkPolicy: .init(
                enabled: spec.networkPolicy.enabled, allowExternal: false,
                extraIngress: [.init(from: clientPeers)]),
            serviceAccount: .init(create: true, automountServiceAccountToken: false),
            metrics: .init(
                enabled: true,
                image: .init(registry: exporter.registry, repository: exporter.repository, tag: exporter.tag),
                serviceMonitor: .init(enabled: spec.monitoring.serviceMonitor, namespace: deployment.metadata.namespace),
                prometheusRule: .init(
                    enabled: spec.monitoring.prometheusRule,
                    rules: AlertRulesBuilder.groups(context, metricsService: "\(fullName)-metrics")
                        .flatMap(\.rules))))
    }

    /// `redis:7.2-alpine` -> `7.2`: the chart's own image, same Redis version.
    static func redisVersion(_ image: String) -> String {
        let tag = ImageReference(image).tag
        return tag.split(separator: "-").first.map(String.init) ?? tag
    }

    struct ImageReference {
        var registry = "docker.io"
        var repository: String
        var tag = "latest"

        init(_ image: String) {
            var rest = Substring(image)
            if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
                tag = String(rest[rest.index(after: colon)...])
                rest = rest[..<colon]
            }
            let parts = rest.split(separator: "/", maxSplits: 1)
            if parts.count == 2, parts[0].contains(".") || parts[0].contains(":") {
                registry = String(parts[0])
                repository = String(parts[1])
            } else {
                repository = String(rest)
            }
        }
    }

    struct Values: Codable, Equatable {
        var image: Image
        var usePassword: Bool
        var existingSecret: String
        var existingSecretPasswordKey: String
        var cluster: Cluster
        var redis: Redis
        var persistence: Persistence
        var tls: TLS
        var pdb: PDB
        var networkPolicy: NetworkPolicy
        var serviceAccount: ServiceAccount
        var metrics: Metrics
    }

    struct Image: Codable, Equatable {
        var registry: String
        var repository: String
        var tag: String
    }

    struct Cluster: Codable, Equatable {
        var nodes: Int
        var replicas: Int
    }

    struct Redis: Codable, Equatable {
        var useAOFPersistence: String
        var configmap: String
        var resources: CoreV1.ResourceRequirements
        var podAntiAffinityPreset: String
        var podSecurityContext: PodSecurityContext
        var containerSecurityContext: ContainerSecurityContext
    }

    struct PodSecurityContext: Codable, Equatable {
        var enabled: Bool
        var fsGroup: Int
    }

    struct ContainerSecurityContext: Codable, Equatable {
        var enabled: Bool
        var runAsUser: Int
        var runAsGroup: Int
        var runAsNonRoot: Bool
        var readOnlyRootFilesystem: Bool
        var allowPrivilegeEscalation: Bool
        var capabilities: CoreV1.Capabilities
        var seccompProfile: CoreV1.SeccompProfile
    }

    struct Persistence: Codable, Equatable {
        var size: Quantity
        var storageClass: String?
        var accessModes: [String]
    }

    struct TLS: Codable, Equatable {
        var enabled: Bool
        var authClients: Bool
        var existingSecret: String
        var certFilename: String
        var certKeyFilename: String
        var certCAFilename: String
    }

    struct PDB: Codable, Equatable {
        var create: Bool
        var minAvailable: Int?
        var maxUnavailable: Int?
    }

    struct NetworkPolicy: Codable, Equatable {
        var enabled: Bool
        var allowExternal: Bool
        var extraIngress: [NetworkingV1.NetworkPolicy.IngressRule]
    }

    struct ServiceAccount: Codable, Equatable {
        var create: Bool
        var automountServiceAccountToken: Bool
    }

    struct Metrics: Codable, Equatable {
        var enabled: Bool
        var image: Image
        var serviceMonitor: ServiceMonitor
        var prometheusRule: PrometheusRule
    }

    struct ServiceMonitor: Codable, Equatable {
        var enabled: Bool
        var namespace: String
    }

    struct PrometheusRule: Codable, Equatable {
        var enabled: Bool
        var rules: [MonitoringV1.Rule]
    }
}
