/// The restricted security settings every pod and container of the deployment runs with
/// (the Bitnami chart's defaults, and Pod Security Admission's `restricted` profile).
enum PodSecurity {
    static var pod: CoreV1.PodSecurityContext {
        CoreV1.PodSecurityContext(
            runAsUser: ManifestContext.redisUID,
            runAsGroup: ManifestContext.redisUID,
            runAsNonRoot: true,
            fsGroup: ManifestContext.redisUID,
            // Only relabel a volume whose root has the wrong owner: a 100Gi volume is not walked on every start.
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: .init(type: "RuntimeDefault"))
    }

    static var container: CoreV1.SecurityContext {
        CoreV1.SecurityContext(
            runAsUser: ManifestContext.redisUID,
            runAsGroup: ManifestContext.redisUID,
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: .init(drop: ["ALL"]),
            seccompProfile: .init(type: "RuntimeDefault"))
    }

    /// Writable scratch space under a read-only root filesystem.
    static func tmpVolume() -> CoreV1.Volume {
        CoreV1.Volume(name: "tmp", emptyDir: .init(sizeLimit: "64Mi"))
    }

    static let tmpMount = CoreV1.VolumeMount(name: "tmp", mountPath: "/tmp")
}
