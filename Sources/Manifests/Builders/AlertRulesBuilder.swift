import Foundation
import Spec

/// The alerting rules: the seed's five critical and three warning alerts at its thresholds, and
/// more for what the seed's list misses (slots, missing pods, persistence, backups, connections).
enum AlertRulesBuilder {
    typealias Rule = MonitoringV1.Rule

    /// `metricsService`: the Service the exporters are scraped through (the Helm chart names its own).
    static func groups(_ context: ManifestContext, metricsService: String? = nil) -> [MonitoringV1.RuleGroup] {
        let names = context.names
        let spec = context.spec
        // Prometheus Operator labels every target with its namespace and Service.
        let service = metricsService ?? names.metricsService
        let target = "namespace=\"\(names.namespace)\",service=\"\(service)\""
        let pods = spec.redisPodCount
        let isCluster = spec.topology == .cluster

        var redis: [Rule] = []
        if isCluster {
            redis.append(critical(
                "RedisClusterStateNotOK", "redis_cluster_state{\(target)} == 0", for: "2m",
                summary: "Redis Cluster state is not OK",
                description: "{{ $labels.pod }} reports cluster_state:fail: some slots are not served."))
        }
        redis += [
            critical(
                "RedisNodeDown", "redis_up{\(target)} == 0 or up{\(target)} == 0", for: "5m",
                summary: "Redis node down for more than 5 minutes",
                description: "{{ $labels.pod }} has not answered the exporter for 5 minutes."),
            critical(
                "RedisNodesMissing",
                "count(redis_up{\(target)} == 1) < \(pods) or absent(redis_up{\(target)} == 1)", for: "5m",
                summary: "Fewer than \(pods) Redis nodes are up",
                description: "Only {{ $value }} of \(pods) Redis nodes have been up for 5 minutes."),
            critical(
                "RedisMemoryUsageCritical",
                "redis_memory_used_bytes{\(target)} / redis_memory_max_bytes{\(target)} > 0.95"
                    + " and redis_memory_max_bytes{\(target)} > 0", for: "5m",
                summary: "Redis memory usage above 95%",
                description: "{{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxmemory."),
        ]
        if spec.replicasPerMaster > 0 {
            redis.append(critical(
                "RedisNoReplicasConnected",
                "redis_connected_slaves{\(target)} < 1"
                    + " and on (namespace, pod) redis_instance_info{\(target),role=\"master\"}", for: "5m",
                summary: "Redis master without replicas",
                description: "Master {{ $labels.pod }} has no connected replica: a failure would lose its data."))
        }
        redis += [
            critical(
                "RedisReplicationLinkDown", "redis_master_link_up{\(target)} == 0", for: "2m",
                summary: "Redis replication link down",
                description: "Replica {{ $labels.pod }} has lost its link to its master."),
        ]
        if isCluster {
            redis += [
                critical(
                    "RedisClusterSlotsUnassigned", "redis_cluster_slots_assigned{\(target)} < 16384", for: "5m",
                    summary: "Redis Cluster hash slots unassigned",
                    description: "{{ $labels.pod }} sees only {{ $value }} of 16384 slots assigned."),
                warning(
                    "RedisClusterSlotsFailing",
                    "redis_cluster_slots_fail{\(target)} > 0 or redis_cluster_slots_pfail{\(target)} > 0",
                    for: "5m",
                    summary: "Redis Cluster slots in fail or pfail state",
                    description: "{{ $labels.pod }} sees slots whose master is failing."),
                warning(
                    "RedisClusterKnownNodesMismatch", "redis_cluster_known_nodes{\(target)} != \(pods)", for: "15m",
                    summary: "Redis Cluster node count differs from the deployment",
                    description: "{{ $labels.pod }} knows {{ $value }} nodes, the deployment has \(pods)."),
            ]
        }
        redis += [
            warning(
                "RedisMemoryUsageHigh",
                "redis_memory_used_bytes{\(target)} / redis_memory_max_bytes{\(target)} > 0.90"
                    + " and redis_memory_max_bytes{\(target)} > 0", for: "10m",
                summary: "Redis memory usage above 90%",
                description: "{{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxmemory."),
            warning(
                "RedisHighKeyEvictionRate", "rate(redis_evicted_keys_total{\(target)}[5m]) > 100", for: "10m",
                summary: "Redis evicting keys at a high rate",
                description: "{{ $labels.pod }} evicts {{ $value | humanize }} keys/s: maxmemory is too small."),
            warning(
                "RedisSlowQueries", "increase(redis_slowlog_last_id{\(target)}[5m]) > 10", for: "5m",
                summary: "Redis slow queries detected",
                description: "{{ $labels.pod }} logged {{ $value | humanize }} commands slower than "
                    + "\(spec.redis.slowlogLogSlowerThanUs / 1000) ms in 5 minutes."),
            warning(
                "RedisRejectedConnections", "increase(redis_rejected_connections_total{\(target)}[5m]) > 0",
                for: "1m",
                summary: "Redis rejecting connections",
                description: "{{ $labels.pod }} rejected clients: maxclients reached."),
            warning(
                "RedisTooManyConnections",
                "redis_connected_clients{\(target)} / redis_config_maxclients{\(target)} > 0.85", for: "5m",
                summary: "Redis connections near maxclients",
                description: "{{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxclients."),
            warning(
                "RedisMemoryFragmentationHigh",
                "redis_mem_fragmentation_ratio{\(target)} > 1.5 and redis_memory_used_bytes{\(target)} > 1073741824",
                for: "30m",
                summary: "Redis memory fragmentation high",
                description: "{{ $labels.pod }} fragmentation ratio is {{ $value }}."),
            warning(
                "RedisRdbSaveFailed", "redis_rdb_last_bgsave_status{\(target)} == 0", for: "5m",
                summary: "Redis RDB snapshot failed",
                description: "The last background save on {{ $labels.pod }} failed."),
            warning(
                "RedisAofRewriteFailed", "redis_aof_last_bgrewrite_status{\(target)} == 0", for: "5m",
                summary: "Redis AOF rewrite failed",
                description: "The last AOF rewrite on {{ $labels.pod }} failed."),
            warning(
                "RedisReplicationLagHigh", "redis_connected_slave_lag_seconds{\(target)} > 30", for: "5m",
                summary: "Redis replica lagging",
                description: "A replica of {{ $labels.pod }} is {{ $value }} s behind."),
            warning(
                "RedisFrequentRestarts", "changes(redis_start_time_seconds{\(target)}[1h]) > 2", for: "0m",
                summary: "Redis restarting repeatedly",
                description: "{{ $labels.pod }} restarted {{ $value }} times in the last hour."),
        ]
        let jobs = "namespace=\"\(names.namespace)\""
        let backups: [Rule] = [
            warning(
                "RedisBackupFailed",
                "kube_job_status_failed{\(jobs),job_name=~\"\(names.base)-backup-.*\"} > 0", for: "0m",
                summary: "Redis backup job failed",
                description: "Backup job {{ $labels.job_name }} failed."),
            warning(
                "RedisBackupMissing",
                "time() - kube_cronjob_status_last_successful_time{\(jobs),cronjob=\"\(names.hourlyBackup)\"}"
                    + " > 10800", for: "0m",
                summary: "No successful hourly Redis backup for 3 hours",
                description: "The last successful run of \(names.hourlyBackup) is {{ $value | humanizeDuration }} old."),
        ]
        return [
            .init(name: "\(names.cluster).redis", rules: redis),
            .init(name: "\(names.cluster).backup", rules: backups),
        ]
    }

    private static func critical(
        _ alert: String, _ expr: String, for duration: String, summary: String, description: String
    ) -> Rule {
        rule(alert, expr, duration, "critical", summary, description)
    }

    private static func warning(
        _ alert: String, _ expr: String, for duration: String, summary: String, description: String
    ) -> Rule {
        rule(alert, expr, duration, "warning", summary, description)
    }

    private static func rule(
        _ alert: String, _ expr: String, _ duration: String, _ severity: String, _ summary: String,
        _ description: String
    ) -> Rule {
        // One operand per line: long selectors stay readable in the rendered YAML.
        let layout = expr.replacingOccurrences(of: " and ", with: "\n  and ")
            .replacingOccurrences(of: " or ", with: "\n  or ")
        return Rule(
            alert: alert, expr: layout, for: duration, labels: ["severity": severity],
            annotations: ["summary": summary, "description": description])
    }
}
