import Spec

/// statefulset.yaml: the Redis pods. Cluster topology: every pod a cluster node announcing its
/// own IP and stable DNS name. Sentinel topology: one primary with replicas, found through Sentinel.
enum RedisStatefulSetBuilder {
    /// Seconds a stopping pod gets to finish its AOF fsync and final save.
    static let terminationGracePeriodSeconds = 60

    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let spec = context.spec
        var volumes: [CoreV1.Volume] = [
            .init(name: "config", configMap: .init(name: context.names.configMap, defaultMode: 0o555)),
            PodSecurity.tmpVolume(),
            .init(name: "auth", secret: .init(secretName: context.names.authConfigSecret, defaultMode: 0o440)),
        ]
        if spec.tls.enabled {
            volumes.append(.init(name: "tls", secret: .init(secretName: spec.tls.secretName, defaultMode: 0o440)))
        }
        let skips = CheckovSkips.annotations(
            [CheckovSkips.uid999, CheckovSkips.pullPolicy, CheckovSkips.secretsAsEnv],
            images: [spec.image, spec.monitoring.exporterImage], networkPolicy: spec.networkPolicy.enabled)
        let statefulSet = AppsV1.StatefulSet(
            metadata: context.metadata(context.names.statefulSet, .redis, annotations: skips),
            spec: .init(
                serviceName: context.names.headlessService,
                replicas: spec.redisPodCount,
                // Cluster nodes wait for each other, not for lower ordinals: start them all at once.
                podManagementPolicy: "Parallel",
                // Cluster: the partition holds every pod on its revision; a changed template is
                // rolled out by `redisctl deploy` one pod at a time, lowering the partition only
                // after the pod's master role has moved to a replica and the cluster is healthy.
                updateStrategy: .init(type: "RollingUpdate", rollingUpdate: spec.topology == .cluster
                    ? .init(partition: spec.redisPodCount) : nil),
                selector: LabelSelector(matchLabels: context.labels.selector(.redis)),
                template: .init(
                    metadata: .init(
                        labels: context.labels.all(.redis),
                        annotations: [
                            // A changed redis.conf rolls the pods.
                            "redisctl.io/config-hash": stableHash(RedisConfigMapBuilder.redisConf(context)),
                        ]),
                    spec: .init(
                        serviceAccountName: context.names.serviceAccount,
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        terminationGracePeriodSeconds: terminationGracePeriodSeconds,
                        securityContext: PodSecurity.pod,
                        affinity: affinity(context, component: .redis),
                        containers: [redisContainer(context), ExporterContainer.build(context)],
                        volumes: volumes)),
                volumeClaimTemplates: [dataClaim(context, size: spec.storage.size)],
                persistentVolumeClaimRetentionPolicy: .init(whenDeleted: "Retain", whenScaled: "Retain")))
        return [statefulSet]
    }

    static func redisContainer(_ context: ManifestContext) -> CoreV1.Container {
        let spec = context.spec
        let names = context.names
        var env: [CoreV1.EnvVar] = [
            .fromField("POD_IP", fieldPath: "status.podIP"),
            .fromField("POD_NAME", fieldPath: "metadata.name"),
            .init(name: "POD_HOSTNAME", value: "$(POD_NAME).\(names.headlessService).\(names.namespace).svc"),
            .init(name: "REDIS_TLS", value: spec.tls.enabled ? "yes" : "no"),
        ]
        let command: [String]
        let args: [String]
        switch spec.topology {
        case .cluster:
            // The script brings nodes.conf's peer addresses up to date, then runs redis-server.
            command = ["sh", "\(RedisConfigMapBuilder.scriptsPath)/\(RedisConfigMapBuilder.startClusterNodeScriptName)"]
            args = []
        case .sentinel:
            env += [
                .init(name: "PRIMARY_HOST", value: names.podHostname(names.pod(0))),
                .init(name: "SENTINEL_HOST", value: "\(names.sentinelService).\(names.namespace).svc"),
                .init(name: "MASTER_SET", value: names.cluster),
            ]
            command = ["sh", "\(RedisConfigMapBuilder.scriptsPath)/start-redis.sh"]
            args = []
        }
        var mounts: [CoreV1.VolumeMount] = [
            .init(name: "data", mountPath: RedisConfigMapBuilder.dataPath),
            .init(name: "config", mountPath: RedisConfigMapBuilder.configPath, subPath: "redis.conf", readOnly: true),
            .init(name: "config", mountPath: RedisConfigMapBuilder.scriptsPath, readOnly: true),
            // Not a subPath: the kubelet brings a mounted Secret up to date, a subPath never.
            .init(name: "auth", mountPath: RedisConfigMapBuilder.authPath, readOnly: true),
            PodSecurity.tmpMount,
        ]
        if spec.tls.enabled {
            mounts.append(.init(name: "tls", mountPath: RedisConfigMapBuilder.tlsPath, readOnly: true))
        }
        let probeCommand = { (kind: String) in
            CoreV1.ExecAction(command: ["sh", "\(RedisConfigMapBuilder.scriptsPath)/probe.sh", kind])
        }
        return CoreV1.Container(
            name: "redis",
            image: spec.image,
            command: command,
            args: args.isEmpty ? nil : args,
            ports: [
                .init(name: "redis", containerPort: ManifestContext.Port.redis),
            ] + (spec.topology == .cluster ? [.init(name: "bus", containerPort: ManifestContext.Port.bus)] : []),
            env: env,
            resources: .init(
                requests: ["cpu": spec.resources.requests.cpu, "memory": spec.resources.requests.memory],
                limits: ["cpu": spec.resources.limits.cpu, "memory": spec.resources.limits.memory]),
            volumeMounts: mounts,
            // Up to an hour to load a large dataset before liveness applies at all.
            startupProbe: .init(
                exec: probeCommand("liveness"), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 360),
            livenessProbe: .init(
                exec: probeCommand("liveness"), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6),
            readinessProbe: .init(
                exec: probeCommand("readiness"), periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1,
                failureThreshold: 3),
            securityContext: PodSecurity.container)
    }

    /// Required anti-affinity on the first topology key (a host never holds two nodes), preferred on
    /// the others (spread over zones when possible), as `spec.placement` says.
    static func affinity(_ context: ManifestContext, component: ManifestLabels.Component) -> CoreV1.Affinity? {
        let placement = context.spec.placement
        let selector = LabelSelector(matchLabels: context.labels.selector(component))
        let keys = placement.topologyKeys
        guard placement.antiAffinity != .none, !keys.isEmpty else { return nil }
        let terms = keys.map { CoreV1.PodAffinityTerm(labelSelector: selector, topologyKey: $0) }
        switch placement.antiAffinity {
        case .required:
            let preferred = terms.dropFirst().map { CoreV1.WeightedPodAffinityTerm(weight: 100, podAffinityTerm: $0) }
            return .init(podAntiAffinity: .init(
                required: [terms[0]], preferred: preferred.isEmpty ? nil : Array(preferred)))
        case .preferred:
            let preferred = terms.enumerated().map { index, term in
                CoreV1.WeightedPodAffinityTerm(weight: max(100 - 10 * index, 1), podAffinityTerm: term)
            }
            return .init(podAntiAffinity: .init(preferred: preferred))
        case .none:
            return nil
        }
    }

    static func dataClaim(_ context: ManifestContext, size: Quantity) -> CoreV1.PersistentVolumeClaim {
        CoreV1.PersistentVolumeClaim(
            metadata: ObjectMeta(name: "data", labels: context.labels.selector(.redis)),
            spec: .init(
                accessModes: ["ReadWriteOnce"],
                storageClassName: context.spec.storage.storageClassName,
                resources: .init(requests: ["storage": size])))
    }

    /// FNV-1a of the text: stable across runs and platforms, unlike `hashValue`.
    static func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
