/// redis.conf settings that the spec controls (seed: 6gb allkeys-lru, AOF everysec + RDB save
/// points, 4 IO threads, 15 s node timeout, 10 ms slowlog threshold).
public struct RedisSettings: Codable, Sendable, Equatable {
    public var maxmemory: String
    public var maxmemoryPolicy: String
    public var appendonly: Bool
    public var appendfsync: String
    /// RDB save points, each "<seconds> <changes>"; empty disables RDB snapshots.
    public var save: [String]
    public var ioThreads: Int
    public var clusterNodeTimeoutMs: Int
    public var slowlogLogSlowerThanUs: Int
    /// Further redis.conf directives, name -> value, rendered after ours (sorted by name).
    public var extraConfig: [String: String]

    public init(
        maxmemory: String = "6gb",
        maxmemoryPolicy: String = "allkeys-lru",
        appendonly: Bool = true,
        appendfsync: String = "everysec",
        save: [String] = ["900 1", "300 10", "60 10000"],
        ioThreads: Int = 4,
        clusterNodeTimeoutMs: Int = 15000,
        slowlogLogSlowerThanUs: Int = 10000,
        extraConfig: [String: String] = [:]
    ) {
        self.maxmemory = maxmemory
        self.maxmemoryPolicy = maxmemoryPolicy
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.save = save
        self.ioThreads = ioThreads
        self.clusterNodeTimeoutMs = clusterNodeTimeoutMs
        self.slowlogLogSlowerThanUs = slowlogLogSlowerThanUs
        self.extraConfig = extraConfig
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxmemory, maxmemoryPolicy, appendonly, appendfsync, save, ioThreads, clusterNodeTimeoutMs
        case slowlogLogSlowerThanUs, extraConfig
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RedisSettings()
        maxmemory = try c.value(.maxmemory, or: d.maxmemory)
        maxmemoryPolicy = try c.value(.maxmemoryPolicy, or: d.maxmemoryPolicy)
        appendonly = try c.value(.appendonly, or: d.appendonly)
        appendfsync = try c.value(.appendfsync, or: d.appendfsync)
        save = try c.value(.save, or: d.save)
        ioThreads = try c.value(.ioThreads, or: d.ioThreads)
        clusterNodeTimeoutMs = try c.value(.clusterNodeTimeoutMs, or: d.clusterNodeTimeoutMs)
        slowlogLogSlowerThanUs = try c.value(.slowlogLogSlowerThanUs, or: d.slowlogLogSlowerThanUs)
        extraConfig = try c.value(.extraConfig, or: d.extraConfig)
    }

    /// `maxmemory` in bytes, as Redis reads it (`6gb`, `512mb`, `100000`); nil when malformed.
    public var maxmemoryBytes: Int64? { RedisSettings.parseRedisMemory(maxmemory) }

    /// Redis' own memory units: k/kb/m/mb/g/gb, where `k` is 1000 and `kb` 1024.
    public static func parseRedisMemory(_ text: String) -> Int64? {
        let lower = text.lowercased()
        let units: [(String, Int64)] = [("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10),
                                        ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            guard let number = Int64(lower.dropLast(suffix.count)), number >= 0 else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        guard let number = Int64(lower), number >= 0 else { return nil }
        return number
    }
}
