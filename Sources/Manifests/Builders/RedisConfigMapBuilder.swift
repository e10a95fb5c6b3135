import Spec

/// configmap.yaml: redis.conf from the same builder the local platform uses, plus the lines only
/// Kubernetes needs, and the probe and start scripts. No password here: it reaches Redis through
/// the container's arguments from the Secret.
enum RedisConfigMapBuilder {
    static let configPath = "/etc/redis/redis.conf"
    static let scriptsPath = "/scripts"
    static let tlsPath = "/etc/redis/tls"
    /// The derived auth Secret's mount: `auth.conf` holds `requirepass` and `masterauth`.
    static let authPath = "/etc/redis/auth"
    static let dataPath = "/data"

    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        var data: SortedMap<String> = [
            "redis.conf": redisConf(context),
            "probe.sh": probeScript,
        ]
        if context.spec.topology == .sentinel {
            data["start-redis.sh"] = SentinelBuilder.startRedisScript
        }
        var objects: [any KubernetesObject] = [
            CoreV1.ConfigMap(metadata: context.metadata(context.names.configMap, .redis), data: data),
        ]
        if context.spec.topology == .sentinel {
            objects.append(SentinelBuilder.configMap(context))
        }
        return objects
    }

    /// The common directives, then what a pod in Kubernetes needs on top.
    static func redisConf(_ context: ManifestContext) -> String {
        var config = RedisConfig(RedisConfigBuilder.common(for: context.spec))
        config.append(contentsOf: [
            .init("bind", "*", "-::*"),
            .init("dir", dataPath),
            .init("daemonize", "no"),
            .init("logfile", ""),
        ])
        if context.spec.tls.enabled {
            config.append(contentsOf: RedisConfigBuilder.tls(
                .init(certificate: "\(tlsPath)/tls.crt", key: "\(tlsPath)/tls.key", caCertificates: "\(tlsPath)/ca.crt"),
                port: ManifestContext.Port.redis, topology: context.spec.topology))
        } else {
            config.append(.init("port", String(ManifestContext.Port.redis)))
        }
        // The password comes from a file, never the command line (it would show in the process list).
        config.append(.init("include", "\(authPath)/\(SecretsBuilder.authConfigKey)"))
        if context.spec.topology == .cluster {
            // On the data volume, so a restarted pod keeps its node ID and slots.
            config.append(.init("cluster-config-file", "\(dataPath)/nodes.conf"))
        }
        return config.render(header: """
            redis.conf for \(context.names.cluster), rendered by redisctl from the deployment spec.
            The password comes from the included auth.conf (Secret \(context.names.authConfigSecret)),
            this pod's announce address from the container arguments.
            """)
    }

    /// Liveness accepts a node that is still loading its dataset (LOADING) so a large AOF or RDB is
    /// never killed halfway; readiness wants PONG. The password comes from REDISCLI_AUTH.
    static let probeScript = """
        #!/bin/sh
        # Usage: probe.sh liveness|readiness
        set -u
        tls=""
        if [ "${REDIS_TLS:-no}" = "yes" ]; then
          tls="--tls --cacert /etc/redis/tls/ca.crt"
        fi
        # The admin password from the mounted file the kubelet keeps current (never an argument).
        REDISCLI_AUTH=$(cat /etc/redis/auth/admin-password 2>/dev/null || true)
        export REDISCLI_AUTH
        # shellcheck disable=SC2086
        reply=$(timeout 4 redis-cli --no-auth-warning $tls -h 127.0.0.1 -p 6379 ping 2>&1) || true
        case "$1:$reply" in
          *:PONG) exit 0 ;;
          liveness:LOADING*) exit 0 ;;
          liveness:MASTERDOWN*) exit 0 ;;
        esac
        echo "$1: $reply"
        exit 1

        """
}
