import Foundation
import Spec
import Testing

@testable import Manifests

/// Looks objects up in built groups by type and name.
struct Built {
    let groups: [ManifestGroup]

    init(_ deployment: RedisDeployment, options: RenderOptions = .init()) throws {
        groups = try ManifestSet.build(from: deployment, options: options)
    }

    var fileNames: [String] { groups.map(\.fileName) }

    func all<T: KubernetesObject>(_ type: T.Type) -> [T] { groups.allObjects.compactMap { $0 as? T } }

    func one<T: KubernetesObject>(_ type: T.Type, _ name: String) throws -> T {
        try #require(all(type).first { $0.metadata.name == name }, "no \(T.resource.kind) \(name)")
    }

    func group(_ fileName: String) throws -> ManifestGroup {
        try #require(groups.first { $0.fileName == fileName })
    }
}

@Suite struct DefaultDeploymentTests {
    let built: Built

    init() throws { built = try Built(.defaults) }

    @Test func writesTheSeedsFileSet() {
        #expect(built.fileNames == [
            "namespace.yaml", "secrets.yaml", "configmap.yaml", "rbac.yaml", "services.yaml", "statefulset.yaml",
            "pdb.yaml", "network-policy.yaml", "monitoring.yaml", "backup-cronjob.yaml",
        ])
    }

    @Test func everyObjectDeclaresItsOwnResource() {
        for object in built.groups.allObjects {
            #expect(object.apiVersion == object.resource.apiVersion)
            #expect(object.kind == object.resource.kind)
            if object.resource.namespaced { #expect(object.metadata.namespace == "redis-system") }
        }
    }

    @Test func everyCheckovSkipNamesACheckAndAReason() {
        for object in built.groups.allObjects {
            for (key, value) in object.metadata.annotations?.entries ?? [:] where key.hasPrefix("checkov.io/skip") {
                let parts = value.split(separator: "=", maxSplits: 1)
                #expect(parts.count == 2 && parts[0].hasPrefix("CKV") && parts[1].count > 20, "\(object.displayName): \(value)")
            }
        }
    }

    @Test func namespaceHasTheSeedsQuota() throws {
        _ = try built.one(CoreV1.Namespace.self, "redis-system")
        let quota = try #require(built.all(CoreV1.ResourceQuota.self).first)
        #expect(quota.spec.hard.entries.mapValues(\.text) == [
            "requests.cpu": "24", "requests.memory": "96Gi", "requests.storage": "1Ti", "pods": "30", "services": "20",
        ])
        #expect(built.all(CoreV1.LimitRange.self).count == 1)
    }

    @Test func secretsCarryNoValuesUnlessAsked() throws {
        let auth = try built.one(CoreV1.Secret.self, "redis-auth")
        #expect(auth.stringData == nil)
        #expect(auth.metadata.annotations?["redisctl.io/create-only"] == "true")
        _ = try built.one(CoreV1.Secret.self, "redis-backup-s3")
        let withSecrets = try Built(.defaults, options: .init(withSecrets: true, password: "p4ss"))
        #expect(try withSecrets.one(CoreV1.Secret.self, "redis-auth").stringData?["password"] == "p4ss")
        #expect(throws: ManifestsError.self) { try ManifestSet.build(from: .defaults, options: .init(withSecrets: true)) }
    }

    /// Passwords reach redis-server through a mounted file only: no object but the two auth
    /// Secrets holds it, so no command line (nor probe, nor env value) can show it.
    @Test(arguments: Shapes.all.map(\.0))
    func thePasswordIsInTheAuthSecretsOnly(_ shape: String) throws {
        let deployment = try #require(Shapes.all.first { $0.0 == shape }).1
        let password = "Zq7-not-on-argv-3Xk"
        let users = ["app": "app-pw-Q1", "exporter": "exporter-pw-Q2", "replication": "replication-pw-Q3", "backup": "backup-pw-Q4"]
        let built = try Built(deployment, options: .init(withSecrets: true, password: password, userPasswords: users))
        let names = ManifestNames(deployment)
        for object in built.groups.allObjects where !(object is CoreV1.Secret) {
            let yaml = try YAMLRenderer.render(object)
            #expect(!yaml.contains(password), "\(object.displayName) holds the password")
            for userPassword in users.values { #expect(!yaml.contains(userPassword), "\(object.displayName) holds a user's password") }
            #expect(!yaml.contains("--requirepass") && !yaml.contains("--masterauth"), "\(object.displayName)")
        }
        let derived = try built.one(CoreV1.Secret.self, names.authConfigSecret)
        let text = try #require(derived.data?["auth.conf"].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) })
        // The admin by its password's hash too; its password, for the probes, in a key of its own.
        #expect(text.contains("\nuser default reset on #\(RedisConfigBuilder.passwordHash(password)) ~* &* +@all\n"), "\(text)")
        #expect(!text.contains(password))
        #expect(derived.data?["admin-password"].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } == password)
        // The users by their passwords' hashes; replicas log in as the replication user, whose
        // password is the one a replica must send as it is.
        #expect(text.contains("\nmasteruser replication\nmasterauth replication-pw-Q3\n"), "\(text)")
        for (user, userPassword) in users {
            #expect(text.contains("\nuser \(user) reset on #\(RedisConfigBuilder.passwordHash(userPassword)) "), "\(user): \(text)")
            if user != "replication" { #expect(!text.contains(userPassword)) }
            let secret = try built.one(CoreV1.Secret.self, names.userSecret(user))
            #expect(secret.stringData?["password"] == userPassword)
            #expect(secret.metadata.annotations?["redisctl.io/create-only"] == "true")
        }
        let conf = try #require(try built.one(CoreV1.ConfigMap.self, names.configMap).data["redis.conf"])
        #expect(conf.contains("\ninclude /etc/redis/auth/auth.conf\n"))
        // Rendered without secrets it is there, empty, for deploy to fill.
        #expect(try Built(deployment).one(CoreV1.Secret.self, names.authConfigSecret).data == nil)
    }

    @Test func redisConfComesFromTheSharedBuilderWithoutThePassword() throws {
        let config = try built.one(CoreV1.ConfigMap.self, "redis-cluster-config")
        let conf = try #require(config.data["redis.conf"])
        for directive in RedisConfigBuilder.common(for: RedisDeployment.defaults.spec) {
            #expect(conf.contains(directive.line + "\n"), "missing \(directive.line)")
        }
        for line in ["dir /data", "port 6379", "cluster-config-file /data/nodes.conf", "bind * -::*"] {
            #expect(conf.contains(line + "\n"))
        }
        #expect(!conf.contains("requirepass"))
        #expect(!conf.contains("masterauth"))
    }

    @Test func statefulSetFollowsTheSeed() throws {
        let set = try built.one(AppsV1.StatefulSet.self, "redis-cluster")
        #expect(set.spec.replicas == 6)
        #expect(set.spec.podManagementPolicy == "Parallel")
        #expect(set.spec.serviceName == "redis-cluster-headless")
        let pod = set.spec.template.spec
        #expect(pod.automountServiceAccountToken == false)
        #expect(pod.securityContext?.runAsUser == 999)
        #expect(pod.securityContext?.runAsGroup == 999)
        #expect(pod.securityContext?.runAsNonRoot == true)
        #expect(pod.securityContext?.seccompProfile?.type == "RuntimeDefault")
        #expect(pod.terminationGracePeriodSeconds == 60)
        let antiAffinity = try #require(pod.affinity?.podAntiAffinity)
        #expect(antiAffinity.requiredDuringSchedulingIgnoredDuringExecution?.map(\.topologyKey) == ["kubernetes.io/hostname"])
        #expect(antiAffinity.preferredDuringSchedulingIgnoredDuringExecution?.map(\.podAffinityTerm.topologyKey)
            == ["topology.kubernetes.io/zone"])
        for container in pod.containers {
            let security = try #require(container.securityContext)
            #expect(security.readOnlyRootFilesystem == true)
            #expect(security.allowPrivilegeEscalation == false)
            #expect(security.capabilities?.drop == ["ALL"])
            #expect(container.volumeMounts?.contains { $0.mountPath == "/tmp" } == true)
            #expect(container.resources?.requests != nil && container.resources?.limits != nil)
        }
        let redis = try #require(pod.containers.first { $0.name == "redis" })
        #expect(redis.resources?.requests?["cpu"]?.text == "2")
        #expect(redis.resources?.limits?["memory"]?.text == "16Gi")
        // The start script refreshes nodes.conf's peer addresses, then runs redis-server announcing
        // the pod's IP and stable name.
        #expect(redis.command == ["sh", "/scripts/start-cluster-node.sh"] && redis.args == nil)
        let start = try #require(try built.one(CoreV1.ConfigMap.self, "redis-cluster-config").data["start-cluster-node.sh"])
        #expect(start.contains(#"exec redis-server /etc/redis/redis.conf --cluster-announce-ip "$POD_IP" --cluster-announce-hostname "$POD_HOSTNAME" "$@""#))
        // The password reaches redis-server through the included auth.conf, never its arguments.
        #expect(redis.env?.contains { $0.name == "REDIS_PASSWORD" } == false)
        #expect(!start.contains("requirepass") && !start.contains("masterauth"))
        #expect(redis.volumeMounts?.first { $0.name == "auth" }?.mountPath == "/etc/redis/auth")
        #expect(pod.volumes?.first { $0.name == "auth" }?.secret?.secretName == "redis-auth-config")
        // A node loading a large dataset must not be killed: the startup probe waits up to an hour.
        let startup = try #require(redis.startupProbe)
        #expect((startup.periodSeconds ?? 0) * (startup.failureThreshold ?? 0) >= 3600)
        #expect(redis.livenessProbe?.exec?.command.last == "liveness")
        let exporter = try #require(pod.containers.first { $0.name == "metrics" })
        #expect(exporter.image == "oliver006/redis_exporter:v1.55.0")
        #expect(exporter.ports?.first?.containerPort == 9121)
        // The exporter logs in as the exporter user, whose rules hold nothing that writes.
        #expect(exporter.env?.first { $0.name == "REDIS_USER" }?.value == "exporter")
        // Its password from the mounted file the kubelet keeps current, not from the environment.
        #expect(exporter.env?.first { $0.name == "REDIS_PASSWORD_FILE" }?.value == "/etc/redis/auth/exporter-passwords.json")
        #expect(exporter.env?.contains { $0.name == "REDIS_PASSWORD" } == false)
        let claim = try #require(set.spec.volumeClaimTemplates?.first)
        #expect(claim.spec.resources.requests["storage"]?.text == "100Gi")
        #expect(claim.spec.storageClassName == nil)
    }

    @Test func servicesAreHeadlessClientMetricsAndOnePerPod() throws {
        let headless = try built.one(CoreV1.Service.self, "redis-cluster-headless")
        #expect(headless.spec.clusterIP == "None")
        #expect(headless.spec.publishNotReadyAddresses == true)
        #expect(try built.one(CoreV1.Service.self, "redis").spec.ports.map(\.port) == [6379])
        #expect(try built.one(CoreV1.Service.self, "redis-cluster-metrics").spec.ports.map(\.port) == [9121])
        for ordinal in 0..<6 {
            let service = try built.one(CoreV1.Service.self, "redis-cluster-\(ordinal)")
            #expect(service.spec.selector?["statefulset.kubernetes.io/pod-name"] == "redis-cluster-\(ordinal)")
        }
        #expect(built.all(CoreV1.Service.self).count == 9)
    }

    /// One budget per shard, one pod of it down at a time, its pods by name: masters i, replicas
    /// i + M, i + 2M, ... (the layout made without placement; deploy writes the formed cluster's).
    @Test(arguments: [3, 4, 5]) func oneDisruptionBudgetPerShard(masters: Int) throws {
        var deployment = RedisDeployment.defaults
        deployment.spec.masters = masters
        let budgets = try ManifestSet.build(from: deployment).allObjects.compactMap { $0 as? PolicyV1.PodDisruptionBudget }
        #expect(budgets.count == masters)
        for (shard, budget) in budgets.enumerated() {
            #expect(budget.metadata.name == "redis-cluster-shard-\(shard)")
            #expect(budget.spec.maxUnavailable == .int(1) && budget.spec.minAvailable == nil)
            #expect(budget.spec.selector.matchLabels?["app.kubernetes.io/component"] == "redis")
            let names = budget.spec.selector.matchExpressions?.first { $0.key == "statefulset.kubernetes.io/pod-name" }
            #expect(names?.operator == "In" && names?.values == ["redis-cluster-\(shard)", "redis-cluster-\(shard + masters)"])
            #expect(ManifestSet.isShardDisruptionBudget(budget))
        }
        // Every pod in exactly one budget: the eviction API refuses a pod that two budgets select.
        let selected = budgets.flatMap { $0.spec.selector.matchExpressions?.first?.values ?? [] }
        #expect(selected.count == masters * 2 && Set(selected).count == masters * 2)
        // The formed cluster's shards, as deploy passes them.
        let live = ManifestSet.shardDisruptionBudgets(for: deployment, shards: [["redis-cluster-4", "redis-cluster-0"]])
        #expect(live.map(\.metadata.name) == ["redis-cluster-shard-0"])
        #expect(live.first?.spec.selector.matchExpressions?.first?.values == ["redis-cluster-0", "redis-cluster-4"])
    }

    /// Shapes where a shard budget protects nothing get one over all Redis pods; an explicit
    /// `minAvailable` asks for that too (with a warning).
    @Test func shapesWithoutShardBudgets() throws {
        var noReplicas = RedisDeployment.defaults
        noReplicas.spec.replicasPerMaster = 0
        var explicit = RedisDeployment.defaults
        explicit.spec.disruption.minAvailable = 4
        var sentinel = RedisDeployment.defaults
        sentinel.spec.topology = .sentinel
        sentinel.spec.masters = 1
        sentinel.spec.replicasPerMaster = 2
        for (deployment, minAvailable, maxUnavailable) in [(noReplicas, nil, 1), (explicit, 4, nil), (sentinel, nil, 1)] as [(RedisDeployment, Int?, Int?)] {
            let budgets = try ManifestSet.build(from: deployment).allObjects.compactMap { $0 as? PolicyV1.PodDisruptionBudget }
            let redis = try #require(budgets.first { $0.metadata.name == "redis-cluster" })
            #expect(redis.spec.minAvailable == minAvailable.map { .int($0) } && redis.spec.maxUnavailable == maxUnavailable.map { .int($0) })
            #expect(redis.spec.selector.matchExpressions == nil)
            #expect(ManifestSet.shardDisruptionBudgets(for: deployment, shards: [["redis-cluster-0"]]).isEmpty)
            #expect(budgets.count == (deployment.spec.topology == .sentinel ? 2 : 1))
        }
        #expect(explicit.spec.manifestAdvisories.contains { $0.contains("spec.disruption.minAvailable 4") })
        #expect(RedisDeployment.defaults.spec.manifestAdvisories.isEmpty)
    }

    @Test func networkPolicyDeniesByDefaultAndAllowsTheSeedsNamespaces() throws {
        let deny = try built.one(NetworkingV1.NetworkPolicy.self, "redis-cluster-default-deny")
        #expect(deny.spec.policyTypes == ["Ingress", "Egress"])
        #expect(deny.spec.ingress == nil && deny.spec.egress == nil)
        let redis = try built.one(NetworkingV1.NetworkPolicy.self, "redis-cluster-redis")
        let ingress = try #require(redis.spec.ingress)
        let client = try #require(ingress.first { $0.ports == [.init(port: 6379)] })
        let namespaces = client.from?.compactMap { $0.namespaceSelector?.matchExpressions?.first?.values }.first
        #expect(namespaces == ["llm-analytics", "api-gateway", "analytics-workers"])
        let bus = try #require(ingress.first { $0.ports == [.init(port: 16379)] })
        #expect(bus.from?.allSatisfy { $0.namespaceSelector == nil && $0.podSelector != nil } == true)
        let metrics = try #require(ingress.first { $0.ports == [.init(port: 9121)] })
        #expect(metrics.from?.first?.namespaceSelector?.matchExpressions?.first?.values == ["monitoring"])
        let dns = try built.one(NetworkingV1.NetworkPolicy.self, "redis-cluster-allow-dns")
        #expect(dns.spec.egress?.first?.ports?.map(\.port) == [53, 53])
    }

    @Test func backupJobsLogInAsTheBackupUser() throws {
        for job in built.all(BatchV1.CronJob.self) {
            let container = try #require(job.spec.jobTemplate.spec.template.spec.containers.first)
            let args = container.args ?? []
            #expect(args.firstIndex(of: "--user").map { args[$0 + 1] } == "backup", "\(args)")
            #expect(container.env?.first { $0.name == "REDISCTL_PASSWORD" }?.valueFrom?.secretKeyRef?.name == "redis-auth-backup")
        }
        #expect(!built.all(BatchV1.CronJob.self).isEmpty)
    }

    @Test func backupRoleHasTheLeastRights() throws {
        let role = try built.one(RBACV1.Role.self, "redis-backup")
        #expect(role.rules.allSatisfy { Set($0.verbs).isSubset(of: ["get", "list"]) })
        #expect(!role.rules.contains { $0.resources.contains("secrets") })
        let binding = try built.one(RBACV1.RoleBinding.self, "redis-backup")
        #expect(binding.subjects.first?.name == "redis-backup")
        #expect(try built.one(CoreV1.ServiceAccount.self, "redis-cluster").automountServiceAccountToken == false)
    }

    @Test func backupCronJobsMatchTheSeed() throws {
        let hourly = try built.one(BatchV1.CronJob.self, "redis-backup-hourly")
        let daily = try built.one(BatchV1.CronJob.self, "redis-backup-daily")
        #expect(hourly.spec.schedule == "0 * * * *")
        #expect(daily.spec.schedule == "0 2 * * *")
        for (job, keep) in [(hourly, "3"), (daily, "7")] {
            #expect(job.spec.concurrencyPolicy == "Forbid")
            #expect(job.spec.timeZone == "Etc/UTC")
            let container = try #require(job.spec.jobTemplate.spec.template.spec.containers.first)
            #expect(container.command == ["redisctl"])
            let args = try #require(container.args)
            #expect(args.first == "backup")
            #expect(args.firstIndex(of: "--keep").map { args[$0 + 1] } == keep)
            #expect(args.contains { $0.hasPrefix("s3://$(S3_BUCKET)/redis-backups/") })
        }
    }

    @Test func alertsIncludeTheSeedsEightAtTheirSeverities() throws {
        let rule = try built.one(MonitoringV1.PrometheusRule.self, "redis-cluster-alerts")
        let rules = rule.spec.groups.flatMap(\.rules)
        #expect(rules.count >= 15)
        #expect(Set(rules.map(\.alert)).count == rules.count)
        let seed: [(String, String, String)] = [
            ("RedisClusterStateNotOK", "critical", "redis_cluster_state"),
            ("RedisNodeDown", "critical", "5m"),
            ("RedisMemoryUsageCritical", "critical", "> 0.95"),
            ("RedisNoReplicasConnected", "critical", "redis_connected_slaves"),
            ("RedisReplicationLinkDown", "critical", "redis_master_link_up"),
            ("RedisMemoryUsageHigh", "warning", "> 0.90"),
            ("RedisHighKeyEvictionRate", "warning", "redis_evicted_keys_total"),
            ("RedisSlowQueries", "warning", "redis_slowlog_last_id"),
        ]
        for (name, severity, detail) in seed {
            let alert = try #require(rules.first { $0.alert == name }, "missing \(name)")
            #expect(alert.labels?["severity"] == severity)
            #expect(alert.expr.contains(detail) || alert.for == detail, "\(name)")
        }
    }

    @Test func grafanaDashboardHasTheSeedsEightPanels() throws {
        let map = try built.one(CoreV1.ConfigMap.self, "redis-cluster-grafana-dashboard")
        #expect(map.metadata.labels?["grafana_dashboard"] == "1")
        let json = try #require(map.data["redis-cluster.json"])
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(dashboard["uid"] is String && dashboard["title"] is String && dashboard["schemaVersion"] is Int)
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        #expect(panels.compactMap { $0["title"] as? String } == [
            "Cluster health", "Memory", "Performance", "Connections", "Persistence", "Replication", "Network", "Keys",
        ])
        #expect(Set(panels.compactMap { $0["id"] as? Int }).count == 8)
        for panel in panels {
            let targets = try #require(panel["targets"] as? [[String: Any]])
            #expect(!targets.isEmpty)
            #expect(targets.allSatisfy { ($0["expr"] as? String)?.isEmpty == false && $0["refId"] is String })
            let grid = try #require(panel["gridPos"] as? [String: Int])
            #expect(grid["w"] == 12 && grid["h"] == 8)
        }
    }
}

@Suite struct OtherShapesTests {
    @Test func fiveMastersWithTwoReplicasMakeFifteenPods() throws {
        let built = try Built(Shapes.fiveMastersTwoReplicas)
        #expect(try built.one(AppsV1.StatefulSet.self, "redis-cluster").spec.replicas == 15)
        #expect(built.all(CoreV1.Service.self).filter { $0.spec.selector?["statefulset.kubernetes.io/pod-name"] != nil }
            .count == 15)
        let rules = try built.one(MonitoringV1.PrometheusRule.self, "redis-cluster-alerts").spec.groups.flatMap(\.rules)
        #expect(rules.first { $0.alert == "RedisClusterKnownNodesMismatch" }?.expr.contains("!= 15") == true)
        let shard = try built.one(PolicyV1.PodDisruptionBudget.self, "redis-cluster-shard-4")
        #expect(shard.spec.selector.matchExpressions?.first?.values == ["redis-cluster-4", "redis-cluster-9", "redis-cluster-14"])
        let conf = try built.one(CoreV1.ConfigMap.self, "redis-cluster-config").data["redis.conf"] ?? ""
        #expect(conf.contains("repl-diskless-sync-max-replicas 2\n"))
    }

    @Test func quotaGrowsWithTheDeployment() throws {
        let built = try Built(Shapes.fiveMastersTwoReplicas)
        let hard = try #require(built.all(CoreV1.ResourceQuota.self).first).spec.hard
        // 15 pods of 2 CPU / 8Gi / 100Gi each do not fit the seed's 24 CPU / 96Gi / 1Ti.
        #expect(hard["requests.cpu"]?.text == "48")
        #expect(hard["requests.memory"]?.text == "183Gi")
        #expect(hard["requests.storage"]?.text == "2250Gi")
        #expect(hard["services"]?.text == "23")
    }

    @Test func sentinelTopologyAddsSentinelAndDropsTheClusterBus() throws {
        let built = try Built(Shapes.sentinel)
        #expect(built.fileNames.contains("sentinel-statefulset.yaml"))
        #expect(built.fileNames.contains("sentinel-service.yaml"))
        let redis = try built.one(AppsV1.StatefulSet.self, "redis-cluster")
        #expect(redis.spec.replicas == 3)
        let sentinel = try built.one(AppsV1.StatefulSet.self, "redis-sentinel")
        #expect(sentinel.spec.replicas == 3)
        #expect(sentinel.spec.template.spec.containers.first?.ports?.first?.containerPort == 26379)
        let conf = try built.one(CoreV1.ConfigMap.self, "redis-sentinel-config").data["sentinel.conf"] ?? ""
        #expect(conf.contains("sentinel monitor redis-cluster redis-cluster-0.redis-cluster-headless.redis-system.svc 6379 2\n"))
        #expect(conf.contains("sentinel down-after-milliseconds redis-cluster 30000\n"))
        #expect(conf.contains("sentinel failover-timeout redis-cluster 180000\n"))
        #expect(conf.contains("sentinel parallel-syncs redis-cluster 1\n"))
        let redisConf = try built.one(CoreV1.ConfigMap.self, "redis-cluster-config").data["redis.conf"] ?? ""
        #expect(!redisConf.contains("cluster-enabled"))
        _ = try built.one(CoreV1.Service.self, "redis-sentinel-announce")
        #expect(try built.one(CoreV1.Service.self, "redis-cluster-headless").spec.ports.map(\.port) == [6379])
        let sentinelPolicy = try built.one(NetworkingV1.NetworkPolicy.self, "redis-sentinel")
        #expect(sentinelPolicy.spec.ingress?.first?.ports == [.init(port: 26379)])
        #expect(try built.one(PolicyV1.PodDisruptionBudget.self, "redis-sentinel").spec.minAvailable == .int(2))
        let rules = try built.one(MonitoringV1.PrometheusRule.self, "redis-cluster-alerts").spec.groups.flatMap(\.rules)
        #expect(rules.count >= 15)
        #expect(!rules.contains { $0.alert.hasPrefix("RedisCluster") })
    }

    @Test func tlsServesOnlyTLSAndMountsTheCertificates() throws {
        let built = try Built(Shapes.tls)
        let conf = try built.one(CoreV1.ConfigMap.self, "redis-cluster-config").data["redis.conf"] ?? ""
        for line in ["port 0", "tls-port 6379", "tls-cluster yes", "tls-replication yes", "tls-cert-file /etc/redis/tls/tls.crt"] {
            #expect(conf.contains(line + "\n"), "missing \(line)")
        }
        let set = try built.one(AppsV1.StatefulSet.self, "redis-cluster")
        #expect(set.spec.template.spec.volumes?.first { $0.name == "tls" }?.secret?.secretName == "redis-tls")
        let exporter = try #require(set.spec.template.spec.containers.first { $0.name == "metrics" })
        #expect(exporter.env?.first { $0.name == "REDIS_ADDR" }?.value == "rediss://127.0.0.1:6379")
        let daily = try built.one(BatchV1.CronJob.self, "redis-backup-daily")
        #expect(daily.spec.jobTemplate.spec.template.spec.containers.first?.args?.contains("--tls") == true)
    }

    /// With an issuer, a cert-manager Certificate keeps the pods' Secret, naming what deploy's own
    /// certificate names; without one there is none.
    @Test func anIssuerBringsACertManagerCertificate() throws {
        #expect(try Built(Shapes.tls).all(CertManagerV1.Certificate.self).isEmpty)
        let built = try Built(Shapes.certManager)
        let certificate = try built.one(CertManagerV1.Certificate.self, "redis-tls")
        #expect(certificate.spec.secretName == "redis-tls")
        #expect(certificate.spec.issuerRef == .init(name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io"))
        let names = TLSSecretsBuilder.certificateNames(for: Shapes.certManager)
        #expect(certificate.spec.dnsNames == names.dnsNames && certificate.spec.ipAddresses == ["127.0.0.1"])
        #expect(certificate.spec.dnsNames.contains("*.redis-cluster-headless.redis-system.svc"))
        #expect(certificate.spec.usages?.contains("client auth") == true, "nodes dial their peers with it")
        // Applied before the pods that mount its Secret.
        let order = built.groups.allObjects.map(\.displayName)
        let certificateIndex = try #require(order.firstIndex { $0.hasPrefix("Certificate") })
        let statefulSetIndex = try #require(order.firstIndex { $0.hasPrefix("StatefulSet") })
        #expect(certificateIndex < statefulSetIndex)
    }

    @Test func networkPolicyOffLeavesTheFileOut() throws {
        let built = try Built(Shapes.noNetworkPolicy)
        #expect(!built.fileNames.contains("network-policy.yaml"))
        #expect(built.all(NetworkingV1.NetworkPolicy.self).isEmpty)
    }

    @Test func customStorageClassAndBucketReachTheObjects() throws {
        let built = try Built(Shapes.customStorageClass)
        let claim = try #require(try built.one(AppsV1.StatefulSet.self, "redis-cluster").spec.volumeClaimTemplates?.first)
        #expect(claim.spec.storageClassName == "fast-ssd")
        #expect(claim.spec.resources.requests["storage"]?.text == "250Gi")
        let hourly = try built.one(BatchV1.CronJob.self, "redis-backup-hourly")
        let container = try #require(hourly.spec.jobTemplate.spec.template.spec.containers.first)
        #expect(container.args?.contains("s3://acme-backups/redis-backups/hourly") == true)
        #expect(container.env?.contains { $0.name == "AWS_ENDPOINT_URL" } == true)
        #expect(container.env?.contains { $0.name == "S3_BUCKET" } == false)
    }

    @Test func writeFilesRemovesFilesTheSpecNoLongerProduces() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ManifestSet.build(from: Shapes.sentinel).writeFiles(to: directory)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("sentinel-service.yaml").path))
        try ManifestSet.build(from: .defaults).writeFiles(to: directory)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("sentinel-service.yaml").path))
    }
}
