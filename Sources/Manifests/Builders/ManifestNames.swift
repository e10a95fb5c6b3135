import Spec

/// The names of everything a deployment creates, in one place so `deploy`, `connection` and the
/// manifests agree. With the default name `redis-cluster` they are the seed's names: Service `redis`,
/// Secret `redis-auth`, CronJob `redis-backup-daily`.
public struct ManifestNames: Sendable, Equatable {
    /// The cluster name: the StatefulSet and the pods' prefix.
    public let cluster: String
    public let namespace: String
    /// The name without a trailing `-cluster`: what clients and operators type (`redis`).
    public let base: String
    /// The Secret holding the password (`spec.auth.secretName`).
    public let authSecret: String

    public init(_ deployment: RedisDeployment) {
        cluster = deployment.metadata.name
        authSecret = deployment.spec.auth.secretName
        namespace = deployment.metadata.namespace
        base = cluster.hasSuffix("-cluster") && cluster.count > "-cluster".count
            ? String(cluster.dropLast("-cluster".count)) : cluster
    }

    public var statefulSet: String { cluster }
    /// Governs the pods' DNS names: `POD.HEADLESS.NAMESPACE.svc`.
    public var headlessService: String { "\(cluster)-headless" }
    /// Where applications connect: `redis.redis-system.svc.cluster.local:6379`.
    public var clientService: String { base }
    public var metricsService: String { "\(cluster)-metrics" }
    public func pod(_ ordinal: Int) -> String { "\(cluster)-\(ordinal)" }
    public var configMap: String { "\(cluster)-config" }
    public var serviceAccount: String { cluster }
    public var podDisruptionBudget: String { cluster }
    /// The budget of the shard whose lowest pod ordinal is `lowestOrdinal`.
    public func shardDisruptionBudget(lowestOrdinal: Int) -> String { "\(cluster)-shard-\(lowestOrdinal)" }
    /// The ordinal of one of this deployment's pods (`<cluster>-<n>`), nil for any other name.
    public func ordinal(ofPod pod: String) -> Int? {
        guard pod.hasPrefix("\(cluster)-") else { return nil }
        return Int(pod.dropFirst(cluster.count + 1))
    }

    public var sentinelStatefulSet: String { "\(base)-sentinel" }
    public var sentinelHeadlessService: String { "\(base)-sentinel-headless" }
    /// The seed's Sentinel endpoint: `redis-sentinel-announce.redis-system.svc.cluster.local:26379`.
    public var sentinelService: String { "\(base)-sentinel-announce" }
    public var sentinelConfigMap: String { "\(base)-sentinel-config" }
    public var sentinelPodDisruptionBudget: String { "\(base)-sentinel" }

    public var backupServiceAccount: String { "\(base)-backup" }
    public var backupRole: String { "\(base)-backup" }
    public var hourlyBackup: String { "\(base)-backup-hourly" }
    public var dailyBackup: String { "\(base)-backup-daily" }

    public var serviceMonitor: String { cluster }
    public var prometheusRule: String { "\(cluster)-alerts" }
    public var grafanaDashboard: String { "\(cluster)-grafana-dashboard" }

    /// The DNS name a pod announces: stable across restarts, unlike its IP.
    public func podHostname(_ pod: String) -> String { "\(pod).\(headlessService).\(namespace).svc" }
    /// redisctl's own Secret with the redis.conf lines that carry the password (`auth.conf`),
    /// derived from the auth Secret by every deploy.
    public var authConfigSecret: String { "\(authSecret)-config" }
    /// An ACL user's Secret (key `password`).
    public func userSecret(_ user: String) -> String { "\(authSecret)-\(user)" }
    /// The name clients check every node's certificate against: the client Service's.
    public var tlsServerName: String { "\(clientService).\(namespace).svc" }
}
