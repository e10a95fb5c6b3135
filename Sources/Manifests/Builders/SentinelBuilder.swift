import Spec

/// The `sentinel` topology's Sentinel: its config, StatefulSet and Services, and the script that
/// starts each Redis pod as primary or replica according to what the sentinels say.
enum SentinelBuilder {
    static let dataPath = "/data"
    static let scriptsPath = "/scripts"

    static func configMap(_ context: ManifestContext) -> CoreV1.ConfigMap {
        CoreV1.ConfigMap(
            metadata: context.metadata(context.names.sentinelConfigMap, .sentinel),
            data: ["sentinel.conf": sentinelConf(context), "start-sentinel.sh": startSentinelScript])
    }

    static func sentinelConf(_ context: ManifestContext) -> String {
        let sentinel = context.spec.sentinel
        let names = context.names
        let set = names.cluster
        return """
            # sentinel.conf for \(set), rendered by redisctl. Copied to the data volume on first start:
            # Sentinel rewrites it as it learns the topology.
            port \(ManifestContext.Port.sentinel)
            dir \(dataPath)
            sentinel resolve-hostnames yes
            sentinel announce-hostnames yes
            sentinel monitor \(set) \(names.podHostname(names.pod(0))) \(ManifestContext.Port.redis) \(sentinel.quorum)
            sentinel down-after-milliseconds \(set) \(sentinel.downAfterMs)
            sentinel failover-timeout \(set) \(sentinel.failoverTimeoutMs)
            sentinel parallel-syncs \(set) \(sentinel.parallelSyncs)

            """
    }

    /// Keeps the learned state across restarts; the password is appended from the environment, never
    /// stored in the ConfigMap.
    static let startSentinelScript = """
        #!/bin/sh
        set -eu
        conf=/data/sentinel.conf
        if [ ! -f "$conf" ]; then
          cp /scripts/sentinel.conf "$conf"
          printf 'sentinel auth-pass %s %s\\n' "$MASTER_SET" "$REDIS_PASSWORD" >> "$conf"
        fi
        exec redis-sentinel "$conf" --sentinel announce-ip "$POD_HOSTNAME"

        """

    /// A pod starts as a replica of whatever primary the sentinels name; only when no sentinel
    /// answers (a fresh deployment) is pod 0 the primary.
    static let startRedisScript = """
        #!/bin/sh
        set -eu
        primary=""
        if reply=$(timeout 5 redis-cli -h "$SENTINEL_HOST" -p 26379 --raw SENTINEL get-master-addr-by-name "$MASTER_SET" 2>/dev/null); then
          primary=$(echo "$reply" | head -n 1)
        fi
        [ -n "$primary" ] || primary="$PRIMARY_HOST"
        set -- /etc/redis/redis.conf --replica-announce-ip "$POD_HOSTNAME"
        if [ "$primary" != "$POD_HOSTNAME" ] && [ "$primary" != "$POD_IP" ]; then
          set -- "$@" --replicaof "$primary" 6379
        fi
        exec redis-server "$@"

        """

    static func statefulSet(_ context: ManifestContext) -> [any KubernetesObject] {
        let names = context.names
        let spec = context.spec
        let container = CoreV1.Container(
            name: "sentinel",
            image: spec.image,
            command: ["sh", "\(scriptsPath)/start-sentinel.sh"],
            ports: [.init(name: "sentinel", containerPort: ManifestContext.Port.sentinel)],
            env: [
                .fromField("POD_NAME", fieldPath: "metadata.name"),
                .init(name: "POD_HOSTNAME",
                      value: "$(POD_NAME).\(names.sentinelHeadlessService).\(names.namespace).svc"),
                .init(name: "MASTER_SET", value: names.cluster),
                .fromSecret("REDIS_PASSWORD", secret: spec.auth.secretName, key: "password"),
            ],
            resources: .init(
                requests: ["cpu": "100m", "memory": "256Mi"],
                limits: ["cpu": "200m", "memory": "512Mi"]),
            volumeMounts: [
                .init(name: "data", mountPath: dataPath),
                .init(name: "config", mountPath: scriptsPath, readOnly: true),
                PodSecurity.tmpMount,
            ],
            livenessProbe: .init(
                exec: .init(command: ["redis-cli", "-p", "26379", "ping"]), initialDelaySeconds: 10,
                periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6),
            readinessProbe: .init(
                exec: .init(command: ["redis-cli", "-p", "26379", "ping"]), periodSeconds: 5,
                timeoutSeconds: 5, failureThreshold: 3),
            securityContext: PodSecurity.container)
        let skips = CheckovSkips.annotations(
            [CheckovSkips.uid999, CheckovSkips.pullPolicy, CheckovSkips.secretsAsEnv], images: [spec.image],
            networkPolicy: spec.networkPolicy.enabled)
        let statefulSet = AppsV1.StatefulSet(
            metadata: context.metadata(names.sentinelStatefulSet, .sentinel, annotations: skips),
            spec: .init(
                serviceName: names.sentinelHeadlessService,
                replicas: spec.sentinel.replicas,
                podManagementPolicy: "Parallel",
                updateStrategy: .init(type: "RollingUpdate"),
                selector: LabelSelector(matchLabels: context.labels.selector(.sentinel)),
                template: .init(
                    metadata: .init(labels: context.labels.all(.sentinel)),
                    spec: .init(
                        serviceAccountName: names.serviceAccount,
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        terminationGracePeriodSeconds: 30,
                        securityContext: PodSecurity.pod,
                        affinity: RedisStatefulSetBuilder.affinity(context, component: .sentinel),
                        containers: [container],
                        volumes: [
                            .init(name: "config", configMap: .init(name: names.sentinelConfigMap, defaultMode: 0o555)),
                            PodSecurity.tmpVolume(),
                        ])),
                volumeClaimTemplates: [
                    CoreV1.PersistentVolumeClaim(
                        metadata: ObjectMeta(name: "data", labels: context.labels.selector(.sentinel)),
                        spec: .init(
                            accessModes: ["ReadWriteOnce"],
                            storageClassName: spec.storage.storageClassName,
                            resources: .init(requests: ["storage": "10Gi"]))),
                ]))
        return [statefulSet]
    }

    static func services(_ context: ManifestContext) -> [any KubernetesObject] {
        let names = context.names
        let selector = context.labels.selector(.sentinel)
        let port = CoreV1.Service.Port(name: "sentinel", port: ManifestContext.Port.sentinel, targetPort: "sentinel")
        return [
            CoreV1.Service(
                metadata: context.metadata(names.sentinelHeadlessService, .sentinel),
                spec: .init(clusterIP: "None", publishNotReadyAddresses: true, selector: selector, ports: [port])),
            CoreV1.Service(
                metadata: context.metadata(names.sentinelService, .sentinel),
                spec: .init(type: "ClusterIP", selector: selector, ports: [port])),
        ]
    }
}
