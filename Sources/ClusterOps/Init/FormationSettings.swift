/// One `CONFIG SET` parameter and its value.
public struct NodeSetting: Hashable, Sendable, CustomStringConvertible {
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
    public let settings: [NodeSetting]

    public init(_ settings: [NodeSetting]) { self.settings = settings }

    /// `nodeTimeoutMs` only for brand-new nodes: Redis keeps a master that just got its slots in
    /// cluster_state:fail for min(cluster-node-timeout, 5 s), its rejoin delay after a partition.
    public static func forInit(replicasPerMaster: Int, nodeTimeoutMs: Int?) -> FormationSettings {
        var settings = [
            NodeSetting("repl-diskless-sync", "yes"),
            // The full sync starts as soon as the master's replicas are connected.
            NodeSetting("repl-diskless-sync-max-replicas", String(max(replicasPerMaster, 1))),
        ]
        if let nodeTimeoutMs { settings.insert(NodeSetting("cluster-node-timeout", String(nodeTimeoutMs)), at: 0) }
        return FormationSettings(settings)
    }

    /// What one node needs, given its current values (`CONFIG GET`): the settings to make, and the
    /// values that put it back afterwards. A parameter the node does not know (an older Redis) is
    /// left alone. A node timeout equal to the formation value was left by an interrupted init: the
    /// deployment's value is the one to put back.
    public func plan(current: [String: String], configuredNodeTimeoutMs: Int?) -> NodeTuning {
        var tuning = NodeTuning(apply: [], restore: [])
        for setting in settings {
            guard let original = current[setting.name] else { continue }
            if original != setting.value {
                tuning.apply.append(setting)
                tuning.restore.append(NodeSetting(setting.name, original))
            } else if setting.name == "cluster-node-timeout", let configured = configuredNodeTimeoutMs,
                      String(configured) != original {
                tuning.restore.append(NodeSetting(setting.name, String(configured)))
            }
        }
        return tuning
    }
}

/// One node's part of `FormationSettings`: what to set before the init, what to set after it.
public struct NodeTuning: Hashable, Sendable {
    public var apply: [NodeSetting]
    public var restore: [NodeSetting]
}
