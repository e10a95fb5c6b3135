/// Checkov checks that these workloads do not meet on purpose, each with the reason, written as
/// checkov's own annotations (`checkov.io/skipN: CKV_K8S_xx=reason`) so the reason travels with
/// the manifest.
enum CheckovSkips {
    struct Skip: Sendable {
        let check: String
        let reason: String
    }

    static let uid999 = Skip(
        check: "CKV_K8S_40",
        reason: "UID 999 is the redis image's own user that owns the data volume; the deployment standard fixes it")
    static let pullPolicy = Skip(
        check: "CKV_K8S_15",
        reason: "IfNotPresent so a registry outage never keeps a Redis node from restarting; images are pinned by tag")
    static let secretsAsEnv = Skip(
        check: "CKV_K8S_35",
        reason: "redis-server and redis_exporter read the password only from arguments or environment; it comes from the Secret, never the ConfigMap")
    static let backupToken = Skip(
        check: "CKV_K8S_38",
        reason: "the backup job finds the Redis pods through the API server with its own read-only Role")
    static let noNetworkPolicy = Skip(
        check: "CKV2_K8S_6",
        reason: "networkPolicy.enabled is false in the deployment spec: the cluster's own policies govern these pods")
    static let backupUID999 = Skip(
        check: "CKV_K8S_40",
        reason: "the backup job runs as UID 999 like every pod of the deployment, per the deployment standard")
    static let backupPullPolicy = Skip(
        check: "CKV_K8S_15",
        reason: "IfNotPresent so a registry outage does not stop a scheduled backup; the image is pinned by tag")
    static let backupSecretsAsEnv = Skip(
        check: "CKV_K8S_35",
        reason: "redisctl reads the Redis password and the AWS keys from the environment, as the AWS SDKs do")
    static let digest = Skip(
        check: "CKV_K8S_43",
        reason: "images are pinned by tag; give image@sha256:... in the spec or render options to pin a digest")

    /// The skips for a workload running `images`: the digest skip only while some image has no digest.
    static func annotations(_ skips: [Skip], images: [String], networkPolicy: Bool = true) -> SortedMap<String> {
        var all = skips
        if !networkPolicy { all.append(noNetworkPolicy) }
        if images.contains(where: { !$0.contains("@sha256:") }) { all.append(digest) }
        var annotations = SortedMap<String>()
        for (index, skip) in all.enumerated() {
            annotations["checkov.io/skip\(index + 1)"] = "\(skip.check)=\(skip.reason)"
        }
        return annotations
    }
}
