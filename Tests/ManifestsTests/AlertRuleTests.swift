/// promtool unit tests for the seed's critical alerts on the default deployment: each fires when
/// its condition has held long enough and stays quiet when it has not or does not hold.
enum AlertRuleTests {
    static let target = #"namespace="redis-system",service="redis-cluster-metrics""#

    static func labels(pod: Int, extra: String = "") -> String {
        "{\(target),pod=\"redis-cluster-\(pod)\",instance=\"10.0.0.\(pod + 1):9121\",job=\"redis-cluster\"\(extra)}"
    }

    static func expectedLabels(pod: Int, severity: String, indent: String) -> String {
        """
        \(indent)severity: \(severity)
        \(indent)namespace: redis-system
        \(indent)service: redis-cluster-metrics
        \(indent)pod: redis-cluster-\(pod)
        \(indent)instance: 10.0.0.\(pod + 1):9121
        \(indent)job: redis-cluster
        """
    }

    /// One test: `series` (metric, values), then the alert's state at each time.
    static func test(
        _ name: String, alert: String, series: [(String, String)],
        checks: [(time: String, firing: (pod: Int, severity: String, summary: String, description: String)?)]
    ) -> String {
        var text = "  # \(name)\n  - interval: 1m\n    input_series:\n"
        for (metric, values) in series {
            text += "      - series: '\(metric)'\n        values: '\(values)'\n"
        }
        text += "    alert_rule_test:\n"
        for check in checks {
            text += "      - eval_time: \(check.time)\n        alertname: \(alert)\n"
            if let firing = check.firing {
                text += "        exp_alerts:\n          - exp_labels:\n"
                text += expectedLabels(pod: firing.pod, severity: firing.severity, indent: "              ") + "\n"
                text += "            exp_annotations:\n"
                text += "              summary: \"\(firing.summary)\"\n"
                text += "              description: \"\(firing.description)\"\n"
            } else {
                text += "        exp_alerts: []\n"
            }
        }
        return text
    }

    static var file: String {
        var text = "rule_files:\n  - rules.yaml\nevaluation_interval: 1m\ntests:\n"
        let stateSummary = "Redis Cluster state is not OK"
        let stateDescription = "redis-cluster-0 reports cluster_state:fail: some slots are not served."
        text += test(
            "cluster state fails at 2m and stays failed", alert: "RedisClusterStateNotOK",
            series: [("redis_cluster_state\(labels(pod: 0))", "1 1 0x10")],
            checks: [
                ("1m", nil),
                ("3m", nil),  // failing for 1m: pending only
                ("5m", (0, "critical", stateSummary, stateDescription)),
            ])
        text += test(
            "cluster state flaps back to ok before 2m", alert: "RedisClusterStateNotOK",
            series: [("redis_cluster_state\(labels(pod: 0))", "1 0 1 0 1 1 1 1")],
            checks: [("2m", nil), ("4m", nil), ("7m", nil)])

        let downSummary = "Redis node down for more than 5 minutes"
        let downDescription = "redis-cluster-1 has not answered the exporter for 5 minutes."
        text += test(
            "a node down for more than 5 minutes", alert: "RedisNodeDown",
            series: [("redis_up\(labels(pod: 1))", "1 0x12")],
            checks: [("4m", nil), ("7m", (1, "critical", downSummary, downDescription))])
        text += test(
            "a node down for 3 minutes only", alert: "RedisNodeDown",
            series: [("redis_up\(labels(pod: 1))", "1 0 0 0 1x10")],
            checks: [("3m", nil), ("8m", nil)])

        let memorySummary = "Redis memory usage above 95%"
        text += test(
            "memory above 95% for 5 minutes", alert: "RedisMemoryUsageCritical",
            series: [
                ("redis_memory_used_bytes\(labels(pod: 2))", "970x12"),
                ("redis_memory_max_bytes\(labels(pod: 2))", "1000x12"),
            ],
            checks: [("3m", nil), ("6m", (2, "critical", memorySummary, "redis-cluster-2 uses 97% of maxmemory."))])
        text += test(
            "memory at 92% is not critical", alert: "RedisMemoryUsageCritical",
            series: [
                ("redis_memory_used_bytes\(labels(pod: 2))", "920x12"),
                ("redis_memory_max_bytes\(labels(pod: 2))", "1000x12"),
            ],
            checks: [("10m", nil)])
        text += test(
            "no maxmemory set is not a memory alert", alert: "RedisMemoryUsageCritical",
            series: [
                ("redis_memory_used_bytes\(labels(pod: 2))", "970x12"),
                ("redis_memory_max_bytes\(labels(pod: 2))", "0x12"),
            ],
            checks: [("10m", nil)])

        let replicasSummary = "Redis master without replicas"
        let replicasDescription = "Master redis-cluster-0 has no connected replica: a failure would lose its data."
        text += test(
            "a master without replicas", alert: "RedisNoReplicasConnected",
            series: [
                ("redis_connected_slaves\(labels(pod: 0))", "0x10"),
                ("redis_instance_info\(labels(pod: 0, extra: ",role=\"master\""))", "1x10"),
            ],
            checks: [("3m", nil), ("6m", (0, "critical", replicasSummary, replicasDescription))])
        text += test(
            "a replica has no replicas of its own, and a master with one is fine", alert: "RedisNoReplicasConnected",
            series: [
                ("redis_connected_slaves\(labels(pod: 3))", "0x10"),
                ("redis_instance_info\(labels(pod: 3, extra: ",role=\"slave\""))", "1x10"),
                ("redis_connected_slaves\(labels(pod: 0))", "1x10"),
                ("redis_instance_info\(labels(pod: 0, extra: ",role=\"master\""))", "1x10"),
            ],
            checks: [("8m", nil)])

        let linkSummary = "Redis replication link down"
        let linkDescription = "Replica redis-cluster-4 has lost its link to its master."
        text += test(
            "a replica's link down for more than 2 minutes", alert: "RedisReplicationLinkDown",
            series: [("redis_master_link_up\(labels(pod: 4))", "1 0x10")],
            checks: [("2m", nil), ("4m", (4, "critical", linkSummary, linkDescription))])
        text += test(
            "a replica's link back within a minute", alert: "RedisReplicationLinkDown",
            series: [("redis_master_link_up\(labels(pod: 4))", "1 0 1x10")],
            checks: [("2m", nil), ("6m", nil)])
        return text
    }
}
