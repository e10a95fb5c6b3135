import Spec

/// The redis_exporter sidecar on 9121, authenticating as the exporter user (read-only rights).
enum ExporterContainer {
    /// The address it scrapes, as its password file names it.
    static func redisAddress(_ context: ManifestContext) -> String {
        "\(context.spec.tls.enabled ? "rediss" : "redis")://127.0.0.1:\(ManifestContext.Port.redis)"
    }

    static func build(_ context: ManifestContext) -> CoreV1.Container {
        // The password from the mounted file, which the kubelet keeps current: an env value would
        // keep the one the container started with, and a rotated password would lock it out.
        var env: [CoreV1.EnvVar] = [
            .init(name: "REDIS_ADDR", value: redisAddress(context)),
            .init(name: "REDIS_USER", value: ACLUsers.exporter.name),
            .init(name: "REDIS_PASSWORD_FILE", value: "\(RedisConfigMapBuilder.authPath)/\(SecretsBuilder.exporterPasswordsKey)"),
        ]
        var mounts = [PodSecurity.tmpMount, .init(name: "auth", mountPath: RedisConfigMapBuilder.authPath, readOnly: true)]
        if context.spec.tls.enabled {
            env.append(.init(name: "REDIS_EXPORTER_TLS_CA_CERT_FILE", value: "\(RedisConfigMapBuilder.tlsPath)/ca.crt"))
            mounts.append(.init(name: "tls", mountPath: RedisConfigMapBuilder.tlsPath, readOnly: true))
        }
        let probe = CoreV1.Probe(
            tcpSocket: .init(port: .string("metrics")), initialDelaySeconds: 10, periodSeconds: 15,
            timeoutSeconds: 5, failureThreshold: 3)
        return CoreV1.Container(
            name: "metrics",
            image: context.spec.monitoring.exporterImage,
            ports: [.init(name: "metrics", containerPort: ManifestContext.Port.metrics)],
            env: env,
            resources: .init(
                requests: ["cpu": "100m", "memory": "128Mi"],
                limits: ["cpu": "200m", "memory": "256Mi"]),
            volumeMounts: mounts,
            livenessProbe: probe,
            readinessProbe: probe,
            securityContext: PodSecurity.container)
    }
}
