import Foundation
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
        // The TLS Secret (tls.crt, tls.key, ca.crt) comes from cert-manager, the operator or
        // deploy (TLSSecretsBuilder) and is only referenced here: an empty kubernetes.io/tls Secret
        // would be rejected.
        return [auth, authConfig(context, password: context.options.withSecrets ? context.options.password : nil), s3]
    }

    /// The key of the derived Secret, mounted in the Redis pods at `RedisConfigMapBuilder.authPath`.
    static let authConfigKey = "auth.conf"
    /// Marks the derived Secret `deploy` rewrites from the auth Secret's password on every run.
    static let derivedFromAnnotation = "redisctl.io/derived-from"

    /// The redis.conf lines that carry the password, so it reaches redis-server through a file
    /// and never its command line. Without a password (a render without secrets) it is empty and
    /// `deploy` fills it.
    static func authConfig(_ context: ManifestContext, password: String?) -> CoreV1.Secret {
        var secret = CoreV1.Secret(
            metadata: context.metadata(context.names.authConfigSecret, .redis, annotations: [
                derivedFromAnnotation: context.spec.auth.secretName,
                keysAnnotation: authConfigKey,
            ]),
            type: "Opaque")
        if let password {
            let lines = RedisConfig([.init("requirepass", password), .init("masterauth", password)])
                .render(header: "Derived by redisctl from Secret \(context.spec.auth.secretName); rewritten by every deploy.")
            secret.data = [authConfigKey: Data(lines.utf8).base64EncodedString()]
        }
        return secret
    }
}

extension ManifestSet {
    /// The derived auth Secret with the password's redis.conf lines, as `deploy` applies it.
    public static func authConfigSecret(for deployment: RedisDeployment, password: String) -> CoreV1.Secret {
        SecretsBuilder.authConfig(ManifestContext(deployment, options: RenderOptions()), password: password)
    }

    /// Whether `object` is the derived auth Secret of `deployment`, which `deploy` fills and rewrites.
    public static func isAuthConfigSecret(_ object: any KubernetesObject, of deployment: RedisDeployment) -> Bool {
        object is CoreV1.Secret && object.metadata.name == ManifestNames(deployment).authConfigSecret
    }
}
