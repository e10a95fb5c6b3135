/// One `CONFIG SET` parameter and its value.
public struct NodeSetting: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name) \(value)" }
}

/// What makes a cluster form in well under a second, applied with `CONFIG SET` to every node for the
/// duration of an init (whoever configured the nodes) and taken back afterwards. The replication
/// values are the ones redisctl's own redis.conf has (RedisConfigBuilder.common in Spec); with
/// Redis's defaults a master waits `repl-diskless-sync-delay` (5 s) for more replicas before it
/// starts the first full sync.
public struct FormationSettings: Sendable, Equatable {
    /// What every node gets while the cluster forms.
    public let settings: [NodeSetting]
    /// The node timeout brand-new nodes form with. A node found with it, and no recorded value, was
    /// left so by an interrupted init whose record is gone.
    public let formationNodeTimeout: NodeSetting?

    public init(_ settings: [NodeSetting], formationNodeTimeout: NodeSetting? = nil) {
        self.settings = settings
        self.formationNodeTimeout = formationNodeTimeout
    }

    /// `shortenNodeTimeout` only for brand-new nodes: Redis keeps a master that just got its slots
    /// in cluster_state:fail for min(cluster-node-timeout, 5 s), its rejoin delay after a partition.
    public static func forInit(replicasPerMaster: Int, formationNodeTimeoutMs: Int?,
                               shortenNodeTimeout: Bool) -> FormationSettings {
        let timeout = formationNodeTimeoutMs.map { NodeSetting("cluster-node-timeout", String($0)) }
        var settings = [
            NodeSetting("repl-diskless-sync", "yes"),
            // The full sync starts as soon as the master's replicas are connected.
            NodeSetting("repl-diskless-sync-max-replicas", String(max(replicasPerMaster, 1))),
        ]
        if shortenNodeTimeout, let timeout { settings.insert(timeout, at: 0) }
        return FormationSettings(settings, formationNodeTimeout: timeout)
    }

    /// Nothing to set (the cluster is formed): only what an interrupted init left is put back.
    public static func leftoversOnly(formationNodeTimeoutMs: Int?) -> FormationSettings {
        FormationSettings([], formationNodeTimeout: formationNodeTimeoutMs.map { NodeSetting("cluster-node-timeout", String($0)) })
    }

    /// The parameters to read from each node (`CONFIG GET`) before planning.
    public var parameters: [String] {
        var names = settings.map(\.name)
        if let timeout = formationNodeTimeout, !names.contains(timeout.name) { names.append(timeout.name) }
        return names
    }

    /// What one node needs, given its current values and the values a killed init recorded for it
    /// (`recorded`: its own values from before that init, which the current ones no longer are):
    /// the settings to make, and the values that put it back afterwards. A parameter the node does
    /// not know (an older Redis) is left alone. Without a record, a node timeout equal to the
    /// formation value can only have been left by an interrupted init, and the deployment's value
    /// (`configuredNodeTimeoutMs`, nil for nodes redisctl did not configure) is put back.
    public func plan(current: [String: String], recorded: [NodeSetting], configuredNodeTimeoutMs: Int?) -> NodeTuning {
        var tuning = NodeTuning(apply: [], restore: [])
        func recordedValue(_ name: String) -> String? { recorded.first { $0.name == name }?.value }
        for setting in settings {
            guard let value = current[setting.name] else { continue }
            if value != setting.value { tuning.apply.append(setting) }
            let original = recordedValue(setting.name) ?? value
            if original != setting.value { tuning.restore.append(NodeSetting(setting.name, original)) }
        }
        // Recorded values of settings this init does not make (a resumed init keeps the node timeout).
        for setting in recorded where !settings.contains(where: { $0.name == setting.name }) {
            tuning.restore.append(setting)
        }
        if let timeout = formationNodeTimeout, recordedValue(timeout.name) == nil, current[timeout.name] == timeout.value,
           let configured = configuredNodeTimeoutMs.map(String.init), configured != timeout.value {
            tuning.restore.append(NodeSetting(timeout.name, configured))
        }
        return tuning
    }
}

/// One node's part of `FormationSettings`: what to set before the init, what to set after it.
public struct NodeTuning: Hashable, Sendable {
    public var apply: [NodeSetting]
    public var restore: [NodeSetting]
}

/// Where init keeps each node's own values while it has changed them, so that the next run puts
/// right what a killed one left. Keyed by member name (the pod, or `host:port` for `--nodes`).
public protocol FormationRecord: Sendable {
    func load() throws -> [String: [NodeSetting]]
    /// Replaces the record; an empty one removes it.
    func save(_ originals: [String: [NodeSetting]]) throws
}

/// No record (callers that form throwaway clusters): a killed run's values stay until a restart.
public struct NoFormationRecord: FormationRecord {
    public init() {}
    public func load() throws -> [String: [NodeSetting]] { [:] }
    public func save(_ originals: [String: [NodeSetting]]) throws {}
}
