/// What `verify` reports: one line per check, one row per node.
public struct HealthReport: Hashable, Sendable, Codable {
    public var cluster: String
    /// False exactly when some check failed; warnings leave it true.
    public var healthy: Bool
    public var checks: [HealthCheck]
    public var nodes: [NodeReport]

    public init(cluster: String, checks: [HealthCheck], nodes: [NodeReport]) {
        self.cluster = cluster
        self.healthy = !checks.contains { $0.status == .fail }
        self.checks = checks
        self.nodes = nodes
    }

    public func check(named name: String) -> HealthCheck? { checks.first { $0.name == name } }
}

public struct HealthCheck: Hashable, Sendable, Codable {
    public enum Status: String, Hashable, Sendable, Codable, Comparable {
        case pass, warn, fail

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
        private var rank: Int {
            switch self {
            case .pass: 0
            case .warn: 1
            case .fail: 2
            }
        }
    }

    /// Stable identifier (`slots-covered`), safe for scripts to match on.
    public var name: String
    public var status: Status
    /// One line naming the nodes concerned.
    public var message: String

    public init(name: String, status: Status, message: String) {
        self.name = name
        self.status = status
        self.message = message
    }
}

public struct NodeReport: Hashable, Sendable, Codable {
    public var name: String
    /// `host:port`.
    public var address: String
    public var id: String?
    /// `master`, `replica` or `unknown`.
    public var role: String?
    public var slots: Int
    /// The master's id for a replica; encoded as JSON `null` for masters, as the contract shows.
    public var masterId: String?
    /// `up` or `down`: reachable, connected on the cluster bus, and for a replica replicating.
    public var linkStatus: String?
    /// `used_memory / maxmemory`; absent without a memory limit.
    public var usedMemoryRatio: Double?
    /// Whether the node answered this run.
    public var reachable: Bool
    /// The cluster has marked the node `fail`.
    public var failed: Bool

    public init(
        name: String, address: String, id: String?, role: String?, slots: Int, masterId: String?,
        linkStatus: String?, usedMemoryRatio: Double?, reachable: Bool, failed: Bool
    ) {
        self.name = name
        self.address = address
        self.id = id
        self.role = role
        self.slots = slots
        self.masterId = masterId
        self.linkStatus = linkStatus
        self.usedMemoryRatio = usedMemoryRatio
        self.reachable = reachable
        self.failed = failed
    }

    private enum CodingKeys: String, CodingKey {
        case name, address, id, role, slots, masterId, linkStatus, usedMemoryRatio, reachable, failed
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        address = try container.decode(String.self, forKey: .address)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        role = try container.decodeIfPresent(String.self, forKey: .role)
        slots = try container.decode(Int.self, forKey: .slots)
        masterId = try container.decodeIfPresent(String.self, forKey: .masterId)
        linkStatus = try container.decodeIfPresent(String.self, forKey: .linkStatus)
        usedMemoryRatio = try container.decodeIfPresent(Double.self, forKey: .usedMemoryRatio)
        reachable = try container.decodeIfPresent(Bool.self, forKey: .reachable) ?? true
        failed = try container.decodeIfPresent(Bool.self, forKey: .failed) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(address, forKey: .address)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(role, forKey: .role)
        try container.encode(slots, forKey: .slots)
        // Always present: scripts read `masterId == null` as "this is a master".
        try container.encode(masterId, forKey: .masterId)
        try container.encodeIfPresent(linkStatus, forKey: .linkStatus)
        try container.encodeIfPresent(usedMemoryRatio, forKey: .usedMemoryRatio)
        try container.encode(reachable, forKey: .reachable)
        try container.encode(failed, forKey: .failed)
    }
}
