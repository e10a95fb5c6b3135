import Foundation
import Spec

/// The Grafana dashboard with the seed's eight panels, as Grafana's JSON model.
struct GrafanaDashboard: Codable, Equatable {
    var uid: String
    var title: String
    var tags: [String]
    var timezone = "utc"
    var schemaVersion = 39
    var version = 1
    var editable = true
    var refresh = "30s"
    var time = TimeRange(from: "now-6h", to: "now")
    var templating: Templating
    var panels: [Panel]

    struct TimeRange: Codable, Equatable {
        var from: String
        var to: String
    }

    struct Templating: Codable, Equatable {
        var list: [Variable]
    }

    struct Variable: Codable, Equatable {
        var name: String
        var label: String
        var type: String
        var query: String
        var hide = 0
    }

    struct Panel: Codable, Equatable {
        var id: Int
        var type: String
        var title: String
        var description: String
        var gridPos: GridPos
        var datasource = DataSource()
        var fieldConfig: FieldConfig
        var targets: [Target]
    }

    struct GridPos: Codable, Equatable {
        var h: Int
        var w: Int
        var x: Int
        var y: Int
    }

    struct DataSource: Codable, Equatable {
        var type = "prometheus"
        var uid = "${datasource}"
    }

    struct FieldConfig: Codable, Equatable {
        var defaults: Defaults
        var overrides: [String] = []
    }

    struct Defaults: Codable, Equatable {
        var unit: String
    }

    struct Target: Codable, Equatable {
        var refId: String
        var expr: String
        var legendFormat: String
        var datasource = DataSource()
    }

    static func build(_ context: ManifestContext) -> GrafanaDashboard {
        let names = context.names
        // Constant variables keep each query short and let a copy of the dashboard point elsewhere.
        let t = "namespace=\"$namespace\",service=\"$service\""
        let isCluster = context.spec.topology == .cluster
        // (title, description, type, unit, [(expr, legend)])
        let specs: [(String, String, String, String, [(String, String)])] = [
            ("Cluster health", "Cluster state, slots covered and nodes up", "stat", "short",
             (isCluster ? [
                 ("min(redis_cluster_state{\(t)})", "cluster state ok"),
                 ("min(redis_cluster_slots_ok{\(t)})", "slots ok"),
             ] : []) + [("sum(redis_up{\(t)})", "nodes up")]),
            ("Memory", "Used memory against maxmemory, and fragmentation", "timeseries", "percentunit",
             [("redis_memory_used_bytes{\(t)} / redis_memory_max_bytes{\(t)}", "{{pod}} used/max"),
              ("redis_mem_fragmentation_ratio{\(t)}", "{{pod}} fragmentation")]),
            ("Performance", "Commands per second and keyspace hit rate", "timeseries", "ops",
             [("sum by (pod) (rate(redis_commands_processed_total{\(t)}[5m]))", "{{pod}} commands/s"),
              ("sum(rate(redis_keyspace_hits_total{\(t)}[5m]))"
                + " / sum(rate({__name__=~\"redis_keyspace_(hits|misses)_total\",\(t)}[5m]))", "hit rate")]),
            ("Connections", "Connected and rejected clients", "timeseries", "short",
             [("redis_connected_clients{\(t)}", "{{pod}} clients"),
              ("rate(redis_rejected_connections_total{\(t)}[5m])", "{{pod}} rejected/s")]),
            ("Persistence", "Seconds since the last RDB save, and AOF rewrites in progress", "timeseries", "s",
             [("time() - redis_rdb_last_save_timestamp_seconds{\(t)}", "{{pod}} since last save"),
              ("redis_aof_rewrite_in_progress{\(t)}", "{{pod}} AOF rewrite running")]),
            ("Replication", "Connected replicas, replica lag and master links", "timeseries", "short",
             [("redis_connected_slaves{\(t)}", "{{pod}} replicas"),
              ("redis_connected_slave_lag_seconds{\(t)}", "{{pod}} lag (s)"),
              ("redis_master_link_up{\(t)}", "{{pod}} master link up")]),
            ("Network", "Bytes in and out per second", "timeseries", "Bps",
             [("rate(redis_net_input_bytes_total{\(t)}[5m])", "{{pod}} in"),
              ("rate(redis_net_output_bytes_total{\(t)}[5m])", "{{pod}} out")]),
            ("Keys", "Keys, evictions and expirations", "timeseries", "short",
             [("sum by (pod) (redis_db_keys{\(t)})", "{{pod}} keys"),
              ("rate(redis_evicted_keys_total{\(t)}[5m])", "{{pod}} evicted/s"),
              ("rate(redis_expired_keys_total{\(t)}[5m])", "{{pod}} expired/s")]),
        ]
        let panels = specs.enumerated().map { index, spec in
            Panel(
                id: index + 1,
                type: spec.2,
                title: spec.0,
                description: spec.1,
                gridPos: GridPos(h: 8, w: 12, x: (index % 2) * 12, y: (index / 2) * 8),
                fieldConfig: FieldConfig(defaults: Defaults(unit: spec.3)),
                targets: spec.4.enumerated().map { targetIndex, target in
                    Target(refId: String(UnicodeScalar(UInt8(65 + targetIndex))), expr: target.0, legendFormat: target.1)
                })
        }
        return GrafanaDashboard(
            uid: String("redis-\(names.namespace)-\(names.cluster)".prefix(40)),
            title: "Redis \(names.cluster) (\(names.namespace))",
            tags: ["redis", "redisctl"],
            templating: Templating(list: [
                Variable(name: "datasource", label: "Data source", type: "datasource", query: "prometheus"),
                Variable(name: "namespace", label: "Namespace", type: "constant", query: names.namespace, hide: 2),
                Variable(name: "service", label: "Metrics Service", type: "constant", query: names.metricsService,
                         hide: 2),
            ]),
            panels: panels)
    }

    /// Pretty-printed with sorted keys: stable from run to run and short lines for review.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        return (String(data: data, encoding: .utf8) ?? "") + "\n"
    }
}
