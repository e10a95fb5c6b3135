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
        switch context.spec.topology {
        case .cluster: data[startClusterNodeScriptName] = startClusterNodeScript
        case .sentinel: data["start-redis.sh"] = SentinelBuilder.startRedisScript
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

    static let startClusterNodeScriptName = "start-cluster-node.sh"

    /// When every pod restarts at once (a drain, a cluster upgrade, `kubectl delete pod --all`), each
    /// comes back on a new IP while its nodes.conf lists the peers at their old ones: no node can
    /// reach another, and a redirect sends clients to a dead address. Before Redis starts, each peer
    /// line takes the address the peer's stable name (announced as its hostname) resolves to now;
    /// the headless Service publishes a pod's name as soon as it has an IP. A peer that does not
    /// resolve within 10 s keeps its old address: its own start brings it to us (a node takes a
    /// peer's new address from the PINGs the peer sends). Paths are relative to /data, so the line
    /// `cd /data` is the only one naming the volume.
    static let startClusterNodeScript = #"""
        #!/bin/sh
        set -eu
        
        # Prints the address $1 resolves to, or nothing once the deadline has passed.
        resolve() {
          waited=no
          while :; do
            found=$(timeout 2 getent hosts "$1" 2>/dev/null | { read -r a _ || true; printf '%s' "${a:-}"; }) || found=""
            if [ -n "$found" ] || [ "$(date +%s)" -ge "$deadline" ]; then
              printf '%s' "$found"
              return 0
            fi
            if [ "$waited" = no ]; then
              echo "start: waiting for $1 to resolve (10 s at most in all)" >&2
              waited=yes
            fi
            sleep 1
          done
        }
        
        # Writes nodes.conf.starting: nodes.conf with each node at the address it has now. Fails
        # (the file is left as it is, for Redis to judge) on a line that is not a node or `vars`.
        refresh_peer_addresses() {
          deadline=$(( $(date +%s) + 10 ))
          changed=no
          : > nodes.conf.starting
          while IFS= read -r line || [ -n "$line" ]; do
            # shellcheck disable=SC2086
            set -- $line
            if [ "${1:-}" = vars ] || [ -z "$line" ]; then
              printf '%s\n' "$line" >> nodes.conf.starting
              continue
            fi
            case "$#:${2:-}" in
              [0-7]:*|*:*[!0-9a-zA-Z.:@,_=-]*|*:) echo "start: nodes.conf line not understood, left as it is: $line" >&2; return 1 ;;
            esac
            id=$1 address=$2 flags=$3
            endpoint=${address%%@*}
            ip=${endpoint%:*} port=${endpoint##*:}
            bus=${address#"$endpoint"}
            host=""
            case "$bus" in *,*) host=${bus#*,}; host=${host%%,*} ;; esac
            current=""
            case ",$flags," in
              *,myself,*) current=$POD_IP ;;
              *) [ -z "$host" ] || current=$(resolve "$host") ;;
            esac
            if [ -n "$current" ] && [ "$current" != "$ip" ]; then
              echo "start: nodes.conf lists $id ($host) at $ip; it is at $current now" >&2
              printf '%s %s:%s%s%s\n' "$id" "$current" "$port" "$bus" "${line#"$id $address"}" >> nodes.conf.starting
              changed=yes
            else
              printf '%s\n' "$line" >> nodes.conf.starting
            fi
          done < nodes.conf
          [ "$changed" = yes ]
        }
        
        cd /data
        if [ -s nodes.conf ]; then
          set -f
          if refresh_peer_addresses; then mv nodes.conf.starting nodes.conf; else rm -f nodes.conf.starting; fi
          set +f
        fi
        # Peers find this pod by its IP, clients by its stable name.
        exec redis-server /etc/redis/redis.conf --cluster-announce-ip "$POD_IP" --cluster-announce-hostname "$POD_HOSTNAME" "$@"
        
        """#
}
