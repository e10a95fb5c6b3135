public struct AuthSpec: Codable, Sendable, Equatable {
    /// The Secret holding the admin (`default` user) password under key `password`; each ACL user's
    /// is in `<secretName>-<user>`.
    public var secretName: String
    /// ACL users besides the admin; nil: the built-in ones (see `ACLUsers`). A listed built-in name
    /// replaces that user's rules.
    public var users: [ACLUserSpec]?

    public init(secretName: String = "redis-auth", users: [ACLUserSpec]? = nil) {
        self.secretName = secretName
        self.users = users
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case secretName, users }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        secretName = try c.value(.secretName, or: AuthSpec().secretName)
        users = try c.decodeIfPresent([ACLUserSpec].self, forKey: .users)
    }
}

public struct TLSSpec: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var secretName: String
    /// A cert-manager issuer: deploy then asks it for the certificate (a `Certificate` object)
    /// instead of making the TLS Secret itself. Kubernetes only.
    public var issuer: TLSIssuerRef?

    public init(enabled: Bool = false, secretName: String = "redis-tls", issuer: TLSIssuerRef? = nil) {
        self.enabled = enabled
        self.secretName = secretName
        self.issuer = issuer
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, secretName, issuer }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TLSSpec()
        enabled = try c.value(.enabled, or: d.enabled)
        secretName = try c.value(.secretName, or: d.secretName)
        issuer = try c.decodeIfPresent(TLSIssuerRef.self, forKey: .issuer)
    }
}

/// cert-manager's `issuerRef`: an `Issuer` in the deployment's namespace or a `ClusterIssuer`.
public struct TLSIssuerRef: Codable, Sendable, Equatable {
    public var name: String
    public var kind: String
    public var group: String

    public init(name: String, kind: String = "Issuer", group: String = "cert-manager.io") {
        self.name = name
        self.kind = kind
        self.group = group
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, kind, group }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.value(.kind, or: "Issuer")
        group = try c.value(.group, or: "cert-manager.io")
    }
}

/// Sentinel settings, used by the `sentinel` topology (seed: 3 sentinels, quorum 2).
public struct SentinelSpec: Codable, Sendable, Equatable {
    public var replicas: Int
    public var quorum: Int
    public var downAfterMs: Int
    public var failoverTimeoutMs: Int
    public var parallelSyncs: Int

    public init(replicas: Int = 3, quorum: Int = 2, downAfterMs: Int = 30000,
                failoverTimeoutMs: Int = 180000, parallelSyncs: Int = 1) {
        self.replicas = replicas
        self.quorum = quorum
        self.downAfterMs = downAfterMs
        self.failoverTimeoutMs = failoverTimeoutMs
        self.parallelSyncs = parallelSyncs
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case replicas, quorum, downAfterMs, failoverTimeoutMs, parallelSyncs
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SentinelSpec()
        replicas = try c.value(.replicas, or: d.replicas)
        quorum = try c.value(.quorum, or: d.quorum)
        downAfterMs = try c.value(.downAfterMs, or: d.downAfterMs)
        failoverTimeoutMs = try c.value(.failoverTimeoutMs, or: d.failoverTimeoutMs)
        parallelSyncs = try c.value(.parallelSyncs, or: d.parallelSyncs)
    }
}

public struct DisruptionSpec: Codable, Sendable, Equatable {
    /// Unset (the default): each shard's pods (a master and its replicas) get a budget of their own
    /// with `maxUnavailable: 1`, so no eviction takes a master and its replica together. Set: one
    /// budget over every Redis pod with this `minAvailable` instead (the seed's 4 of 6), which does
    /// not stop an eviction from taking a whole shard.
    public var minAvailable: Int?

    public init(minAvailable: Int? = nil) { self.minAvailable = minAvailable }

    enum CodingKeys: String, CodingKey, CaseIterable { case minAvailable }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        minAvailable = try c.decodeIfPresent(Int.self, forKey: .minAvailable)
    }
}

public enum AntiAffinityMode: String, Codable, Sendable, Equatable, CaseIterable {
    case required, preferred, none
}

public struct PlacementSpec: Codable, Sendable, Equatable {
    public var antiAffinity: AntiAffinityMode
    /// Failure domains, most important first: the first is a hard rule when `required`.
    public var topologyKeys: [String]

    public init(antiAffinity: AntiAffinityMode = .required,
                topologyKeys: [String] = ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]) {
        self.antiAffinity = antiAffinity
        self.topologyKeys = topologyKeys
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case antiAffinity, topologyKeys }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PlacementSpec()
        antiAffinity = try c.value(.antiAffinity, or: d.antiAffinity)
        topologyKeys = try c.value(.topologyKeys, or: d.topologyKeys)
    }
}

public struct NetworkPolicySpec: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var allowedNamespaces: [String]
    public var monitoringNamespace: String

    public init(enabled: Bool = true,
                allowedNamespaces: [String] = ["llm-analytics", "api-gateway", "analytics-workers"],
                monitoringNamespace: String = "monitoring") {
        self.enabled = enabled
        self.allowedNamespaces = allowedNamespaces
        self.monitoringNamespace = monitoringNamespace
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, allowedNamespaces, monitoringNamespace }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NetworkPolicySpec()
        enabled = try c.value(.enabled, or: d.enabled)
        allowedNamespaces = try c.value(.allowedNamespaces, or: d.allowedNamespaces)
        monitoringNamespace = try c.value(.monitoringNamespace, or: d.monitoringNamespace)
    }
}

public struct MonitoringSpec: Codable, Sendable, Equatable {
    public var exporterImage: String
    public var serviceMonitor: Bool
    public var prometheusRule: Bool
    public var grafanaDashboard: Bool

    public init(exporterImage: String = "oliver006/redis_exporter:v1.55.0", serviceMonitor: Bool = true,
                prometheusRule: Bool = true, grafanaDashboard: Bool = true) {
        self.exporterImage = exporterImage
        self.serviceMonitor = serviceMonitor
        self.prometheusRule = prometheusRule
        self.grafanaDashboard = grafanaDashboard
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case exporterImage, serviceMonitor, prometheusRule, grafanaDashboard
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MonitoringSpec()
        exporterImage = try c.value(.exporterImage, or: d.exporterImage)
        serviceMonitor = try c.value(.serviceMonitor, or: d.serviceMonitor)
        prometheusRule = try c.value(.prometheusRule, or: d.prometheusRule)
        grafanaDashboard = try c.value(.grafanaDashboard, or: d.grafanaDashboard)
    }
}

public struct BackupSpec: Codable, Sendable, Equatable {
    /// The image with the `redisctl` binary that the backup CronJobs run.
    public var image: String
    public var hourly: BackupSchedule
    public var daily: BackupSchedule
    public var s3: S3Spec

    public init(image: String = "redisctl:0.1.0",
                hourly: BackupSchedule = .init(schedule: "0 * * * *", keep: 3),
                daily: BackupSchedule = .init(schedule: "0 2 * * *", keep: 7),
                s3: S3Spec = .init()) {
        self.image = image
        self.hourly = hourly
        self.daily = daily
        self.s3 = s3
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case image, hourly, daily, s3 }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BackupSpec()
        image = try c.value(.image, or: d.image)
        hourly = try c.value(.hourly, or: d.hourly)
        daily = try c.value(.daily, or: d.daily)
        s3 = try c.value(.s3, or: d.s3)
    }
}

public struct BackupSchedule: Codable, Sendable, Equatable {
    /// Cron schedule, five fields, UTC.
    public var schedule: String
    /// Complete backup sets to keep after a successful run.
    public var keep: Int

    public init(schedule: String, keep: Int) {
        self.schedule = schedule
        self.keep = keep
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case schedule, keep }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let schedule = try c.decodeIfPresent(String.self, forKey: .schedule) else {
            throw DecodingError.keyNotFound(CodingKeys.schedule, .init(
                codingPath: c.codingPath, debugDescription: "a backup schedule needs its cron schedule"))
        }
        self.schedule = schedule
        keep = try c.value(.keep, or: 3)
    }
}

public struct S3Spec: Codable, Sendable, Equatable {
    /// nil: not set in the spec (the backup jobs then need it from their environment).
    public var bucket: String?
    public var prefix: String
    public var region: String
    /// An S3-compatible endpoint URL (path-style); nil for AWS.
    public var endpoint: String?
    /// The Secret with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    public var secretName: String

    public init(bucket: String? = nil, prefix: String = "redis-backups", region: String = "us-east-1",
                endpoint: String? = nil, secretName: String = "redis-backup-s3") {
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.endpoint = endpoint
        self.secretName = secretName
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case bucket, prefix, region, endpoint, secretName }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = S3Spec()
        bucket = try c.decodeIfPresent(String.self, forKey: .bucket)
        prefix = try c.value(.prefix, or: d.prefix)
        region = try c.value(.region, or: d.region)
        endpoint = try c.decodeIfPresent(String.self, forKey: .endpoint)
        secretName = try c.value(.secretName, or: d.secretName)
    }
}
