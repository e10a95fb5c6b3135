import Spec

/// backup-cronjob.yaml: hourly and daily `redisctl backup` runs to S3. `concurrencyPolicy: Forbid`
/// keeps two backups from racing, and `kubectl create job --from=cronjob/redis-backup-daily` runs
/// one by hand.
enum BackupCronJobBuilder {
    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let backup = context.spec.backup
        return [
            cronJob(context, name: context.names.hourlyBackup, kind: "hourly", schedule: backup.hourly),
            cronJob(context, name: context.names.dailyBackup, kind: "daily", schedule: backup.daily),
        ]
    }

    static func cronJob(
        _ context: ManifestContext, name: String, kind: String, schedule: BackupSchedule
    ) -> BatchV1.CronJob {
        let s3 = context.spec.backup.s3
        let names = context.names
        var env: [CoreV1.EnvVar] = [
            // The backup user: the topology reads and the full sync a backup needs, no key access.
            .fromSecret("REDISCTL_PASSWORD", secret: names.userSecret(ACLUsers.backup.name), key: "password"),
            .fromSecret("AWS_ACCESS_KEY_ID", secret: s3.secretName, key: "AWS_ACCESS_KEY_ID"),
            .fromSecret("AWS_SECRET_ACCESS_KEY", secret: s3.secretName, key: "AWS_SECRET_ACCESS_KEY"),
            .init(name: "AWS_REGION", value: s3.region),
        ]
        if let endpoint = s3.endpoint {
            env.append(.init(name: "AWS_ENDPOINT_URL", value: endpoint))
        }
        let bucket: String
        if let configured = s3.bucket {
            bucket = configured
        } else {
            // No bucket in the spec: the S3 Secret names it.
            env.append(.fromSecret("S3_BUCKET", secret: s3.secretName, key: "bucket"))
            bucket = "$(S3_BUCKET)"
        }
        var args = [
            "backup",
            "--to", "s3://\(bucket)/\(s3.prefix)/\(kind)",
            "--keep", String(schedule.keep),
            "--platform", "kubernetes",
            "--name", names.cluster,
            "--namespace", names.namespace,
            "--connect", "direct",
            "--user", ACLUsers.backup.name,
        ]
        if context.spec.tls.enabled {
            args += ["--tls", "--cacert", "/etc/redis/tls/ca.crt"]
        }
        var volumes = [PodSecurity.tmpVolume()]
        var mounts = [PodSecurity.tmpMount]
        if context.spec.tls.enabled {
            volumes.append(.init(name: "tls", secret: .init(secretName: context.spec.tls.secretName, defaultMode: 0o440)))
            mounts.append(.init(name: "tls", mountPath: "/etc/redis/tls", readOnly: true))
        }
        let container = CoreV1.Container(
            name: "backup",
            image: context.spec.backup.image,
            command: ["redisctl"],
            args: args,
            env: env,
            resources: .init(
                requests: ["cpu": "250m", "memory": "256Mi"],
                limits: ["cpu": "1", "memory": "1Gi"]),
            volumeMounts: mounts,
            securityContext: PodSecurity.container)
        let skips = CheckovSkips.annotations(
            [CheckovSkips.backupUID999, CheckovSkips.backupPullPolicy, CheckovSkips.backupSecretsAsEnv,
             CheckovSkips.backupToken],
            images: [context.spec.backup.image], networkPolicy: context.spec.networkPolicy.enabled)
        return BatchV1.CronJob(
            metadata: context.metadata(name, .backup, annotations: skips),
            spec: .init(
                schedule: schedule.schedule,
                timeZone: "Etc/UTC",
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: .init(
                    metadata: .init(labels: context.labels.all(.backup)),
                    spec: .init(
                        backoffLimit: 2,
                        activeDeadlineSeconds: 3 * 3600,
                        template: .init(
                            metadata: .init(labels: context.labels.all(.backup)),
                            spec: .init(
                                serviceAccountName: names.backupServiceAccount,
                                // The only pods that talk to the API server: they list the Redis pods.
                                automountServiceAccountToken: true,
                                enableServiceLinks: false,
                                restartPolicy: "Never",
                                securityContext: PodSecurity.pod,
                                containers: [container],
                                volumes: volumes))))))
    }
}
