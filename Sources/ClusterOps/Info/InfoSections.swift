import Foundation

/// A parsed `INFO` or `CLUSTER INFO` reply: `# Section` headers and `key:value` lines.
public struct InfoSections: Hashable, Sendable {
    /// Fields per section, keyed by the section name as written (`Server`, `Replication`).
    /// `CLUSTER INFO` has no headers; its fields land in the section named "".
    public private(set) var sections: [String: [String: String]]
    /// Section names in reply order.
    public private(set) var sectionOrder: [String]
    /// Every field regardless of section; a key repeated in a later section wins.
    public private(set) var fields: [String: String]

    public init(fields: [String: String] = [:], section: String = "") {
        self.sections = fields.isEmpty ? [:] : [section: fields]
        self.sectionOrder = fields.isEmpty ? [] : [section]
        self.fields = fields
    }

    /// Parses a reply. Blank lines are skipped, and so are lines without a `:`, which Redis
    /// never sends; the value is everything after the first `:` (values like `master_host:::1` keep theirs).
    public static func parse(_ text: String) -> InfoSections {
        var result = InfoSections()
        var current = ""
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                current = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if result.sections[current] == nil {
                    result.sections[current] = [:]
                    result.sectionOrder.append(current)
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = String(line[line.index(after: colon)...])
            if result.sections[current] == nil { result.sectionOrder.append(current) }
            result.sections[current, default: [:]][key] = value
            result.fields[key] = value
        }
        return result
    }

    public subscript(key: String) -> String? { fields[key] }

    /// A section's fields; the name matches case-insensitively (`replication` finds `Replication`).
    public func section(_ name: String) -> [String: String]? {
        if let exact = sections[name] { return exact }
        return sections.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public func int(_ key: String) -> Int64? { fields[key].flatMap { Int64($0) } }

    /// `1`/`0` fields (`aof_enabled`, `loading`); nil when absent or anything else.
    public func flag(_ key: String) -> Bool? {
        switch fields[key] {
        case "1": true
        case "0": false
        default: nil
        }
    }

    // MARK: CLUSTER INFO

    public var clusterState: String? { fields["cluster_state"] }
    public var clusterStateIsOK: Bool? { clusterState.map { $0 == "ok" } }
    public var clusterSlotsAssigned: Int? { int("cluster_slots_assigned").map { Int($0) } }
    public var clusterKnownNodes: Int? { int("cluster_known_nodes").map { Int($0) } }
    public var clusterCurrentEpoch: Int64? { int("cluster_current_epoch") }
    public var clusterMyEpoch: Int64? { int("cluster_my_epoch") }

    // MARK: INFO

    public enum Role: String, Hashable, Sendable {
        case master, replica
    }

    /// `role:master` or `role:slave`.
    public var role: Role? {
        switch fields["role"] {
        case "master": .master
        case "slave", "replica": .replica
        default: nil
        }
    }

    /// `master_link_status` of a replica: `up` or `down`.
    public var masterLinkStatus: String? { fields["master_link_status"] }
    public var masterLinkIsUp: Bool? { masterLinkStatus.map { $0 == "up" } }
    public var connectedReplicas: Int? { int("connected_slaves").map { Int($0) } }
    public var usedMemory: Int64? { int("used_memory") }
    public var maxmemory: Int64? { int("maxmemory") }
    /// `used_memory / maxmemory`; nil without a limit (`maxmemory:0`).
    public var usedMemoryRatio: Double? {
        guard let used = usedMemory, let limit = maxmemory, limit > 0 else { return nil }
        return Double(used) / Double(limit)
    }
    public var evictedKeys: Int64? { int("evicted_keys") }
    public var aofEnabled: Bool? { flag("aof_enabled") }
    public var aofLastWriteStatus: String? { fields["aof_last_write_status"] }
    public var rdbLastBgsaveStatus: String? { fields["rdb_last_bgsave_status"] }
    public var clusterEnabled: Bool? { flag("cluster_enabled") }
    public var redisVersion: String? { fields["redis_version"] }
    public var loading: Bool? { flag("loading") }

    /// One database's line in `# Keyspace`: `db0:keys=1,expires=0,avg_ttl=0`.
    public struct KeyspaceStats: Hashable, Sendable {
        public var keys: Int64
        public var expires: Int64
        public var averageTTL: Int64
    }

    public func keyspace(database: Int) -> KeyspaceStats? {
        guard let text = fields["db\(database)"] else { return nil }
        var values: [String: Int64] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let number = Int64(parts[1]) { values[String(parts[0])] = number }
        }
        guard let keys = values["keys"] else { return nil }
        return KeyspaceStats(keys: keys, expires: values["expires"] ?? 0, averageTTL: values["avg_ttl"] ?? 0)
    }

    /// Keys in db0, the only database in cluster mode; 0 when Redis lists no `db0` (empty).
    public var db0Keys: Int64 { keyspace(database: 0)?.keys ?? 0 }
}
