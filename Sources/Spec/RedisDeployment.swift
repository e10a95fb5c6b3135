/// The deployment spec (`redisctl.yaml`): shaped like a Kubernetes object so it can later become a
/// custom resource. Every field is optional; the defaults are the seed deployment's numbers.
public struct RedisDeployment: Codable, Sendable, Equatable {
    public static let apiVersionValue = "redisctl.io/v1alpha1"
    public static let kindValue = "RedisDeployment"

    public var apiVersion: String
    public var kind: String
    public var metadata: DeploymentMetadata
    public var spec: DeploymentSpec

    public init(metadata: DeploymentMetadata = .init(), spec: DeploymentSpec = .init()) {
        self.apiVersion = Self.apiVersionValue
        self.kind = Self.kindValue
        self.metadata = metadata
        self.spec = spec
    }

    /// The seed's deployment: 3 masters + 3 replicas in `redis-system`.
    public static var defaults: RedisDeployment { RedisDeployment() }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata, spec }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.value(.apiVersion, or: Self.apiVersionValue)
        kind = try c.value(.kind, or: Self.kindValue)
        metadata = try c.value(.metadata, or: DeploymentMetadata())
        spec = try c.value(.spec, or: DeploymentSpec())
    }
}

public struct DeploymentMetadata: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String

    public init(name: String = "redis-cluster", namespace: String = "redis-system") {
        self.name = name
        self.namespace = namespace
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, namespace }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let fallback = DeploymentMetadata()
        name = try c.value(.name, or: fallback.name)
        namespace = try c.value(.namespace, or: fallback.namespace)
    }
}

public enum Topology: String, Codable, Sendable, Equatable, CaseIterable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Topology(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(raw)' is not one of cluster, sentinel")
        }
        self = value
    }

    /// Redis Cluster: sharded masters with replicas, failover by the cluster bus.
    case cluster
    /// One primary with replicas, failover by Sentinel.
    case sentinel
}

public struct DeploymentSpec: Codable, Sendable, Equatable {
    public var topology: Topology
    public var masters: Int
    public var replicasPerMaster: Int
    public var image: String
    public var resources: ResourcesSpec
    public var storage: StorageSpec
    public var redis: RedisSettings
    public var auth: AuthSpec
    public var tls: TLSSpec
    public var sentinel: SentinelSpec
    public var disruption: DisruptionSpec
    public var placement: PlacementSpec
    public var networkPolicy: NetworkPolicySpec
    public var monitoring: MonitoringSpec
    public var backup: BackupSpec

    public init(
        topology: Topology = .cluster,
        masters: Int = 3,
        replicasPerMaster: Int = 1,
        image: String = "redis:7.2-alpine",
        resources: ResourcesSpec = .init(),
        storage: StorageSpec = .init(),
        redis: RedisSettings = .init(),
        auth: AuthSpec = .init(),
        tls: TLSSpec = .init(),
        sentinel: SentinelSpec = .init(),
        disruption: DisruptionSpec = .init(),
        placement: PlacementSpec = .init(),
        networkPolicy: NetworkPolicySpec = .init(),
        monitoring: MonitoringSpec = .init(),
        backup: BackupSpec = .init()
    ) {
        self.topology = topology
        self.masters = masters
        self.replicasPerMaster = replicasPerMaster
        self.image = image
        self.resources = resources
        self.storage = storage
        self.redis = redis
        self.auth = auth
        self.tls = tls
        self.sentinel = sentinel
        self.disruption = disruption
        self.placement = placement
        self.networkPolicy = networkPolicy
        self.monitoring = monitoring
        self.backup = backup
    }

    /// Redis pods: every master with its replicas (cluster), or one primary with its replicas (sentinel).
    public var redisPodCount: Int {
        switch topology {
        case .cluster: masters * (1 + replicasPerMaster)
        case .sentinel: 1 + replicasPerMaster
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case topology, masters, replicasPerMaster, image, resources, storage, redis, auth, tls, sentinel
        case disruption, placement, networkPolicy, monitoring, backup
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DeploymentSpec()
        topology = try c.value(.topology, or: d.topology)
        masters = try c.value(.masters, or: d.masters)
        replicasPerMaster = try c.value(.replicasPerMaster, or: d.replicasPerMaster)
        image = try c.value(.image, or: d.image)
        resources = try c.value(.resources, or: d.resources)
        storage = try c.value(.storage, or: d.storage)
        redis = try c.value(.redis, or: d.redis)
        auth = try c.value(.auth, or: d.auth)
        tls = try c.value(.tls, or: d.tls)
        sentinel = try c.value(.sentinel, or: d.sentinel)
        disruption = try c.value(.disruption, or: d.disruption)
        placement = try c.value(.placement, or: d.placement)
        networkPolicy = try c.value(.networkPolicy, or: d.networkPolicy)
        monitoring = try c.value(.monitoring, or: d.monitoring)
        backup = try c.value(.backup, or: d.backup)
    }
}
