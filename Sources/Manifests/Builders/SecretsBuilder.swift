import Spec

/// secrets.yaml: the auth Secret and the S3 credentials Secret. Values are left out unless asked
/// for; `deploy` creates these only when absent and never overwrites them.
enum SecretsBuilder {
    /// Marks a Secret that `deploy` creates once and never updates.
    static let createOnlyAnnotation = "redisctl.io/create-only"
    /// Lists the keys the Secret must hold, for whoever fills it in.
    static let keysAnnotation = "redisctl.io/keys"

    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        var auth = CoreV1.Secret(
            metadata: context.metadata(context.spec.auth.secretName, .redis, annotations: [
                createOnlyAnnotation: "true",
                keysAnnotation: "password",
            ]),
            type: "Opaque")
        if context.options.withSecrets, let password = context.options.password {
            auth.stringData = ["password": password]
        }
        let s3 = CoreV1.Secret(
            metadata: context.metadata(context.spec.backup.s3.secretName, .backup, annotations: [
                createOnlyAnnotation: "true",
                keysAnnotation: "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY"
                    + (context.spec.backup.s3.bucket == nil ? ",bucket" : ""),
            ]),
            type: "Opaque")
        // The TLS Secret (tls.crt, tls.key, ca.crt) comes from cert-manager or the operator and is
        // only referenced by the pods: an empty kubernetes.io/tls Secret would be rejected.
        return [auth, s3]
    }
}
