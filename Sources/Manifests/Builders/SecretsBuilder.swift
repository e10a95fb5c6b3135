import Foundation
import Spec

/// secrets.yaml: the auth Secret and the S3 credentials Secret. Values are left out unless asked
/// for; `deploy` creates these only when absent and never overwrites them.
enum SecretsBuilder {
    /// Marks a Secret that `deploy` creates once and never updates.
    static let createOnlyAnnotation = "redisctl.io/create-only"
    /// Lists the keys the Secret must hold, for whoever fills it in.
    static let keysAnnotation = "redisctl.io/keys"
    /// Marks a Secret whose `password` key `deploy` generates when it creates it.
    static let generatedAnnotation = "redisctl.io/generated"

    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let auth = passwordSecret(context, name: context.spec.auth.secretName, password: context.options.password)
        let users = context.spec.auth.effectiveUsers.map { user in
            passwordSecret(context, name: context.names.userSecret(user.name), password: context.options.userPasswords[user.name])
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
        var rendered: [String: UserPasswords] = [:]
        for (name, password) in context.options.userPasswords { rendered[name] = UserPasswords(current: password) }
        let derived = authConfig(context, password: context.options.withSecrets ? context.options.password : nil,
                                 users: context.options.withSecrets ? rendered : [:])
        return [auth] + users + [derived, s3]
    }

    /// A Secret holding one password under `password`, which `deploy` generates when it creates it.
    private static func passwordSecret(_ context: ManifestContext, name: String, password: String?) -> CoreV1.Secret {
        var secret = CoreV1.Secret(
            metadata: context.metadata(name, .redis, annotations: [
                createOnlyAnnotation: "true",
                generatedAnnotation: "password",
                keysAnnotation: "password",
            ]),
            type: "Opaque")
        if context.options.withSecrets, let password { secret.stringData = ["password": password] }
        return secret
    }

    /// The key of the derived Secret, mounted in the Redis pods at `RedisConfigMapBuilder.authPath`.
    static let authConfigKey = "auth.conf"
    /// Marks the derived Secret `deploy` rewrites from the auth Secret's password on every run.
    static let derivedFromAnnotation = "redisctl.io/derived-from"

    /// The redis.conf lines that carry the passwords, so they reach redis-server through a file
    /// and never its command line: the admin's, and the ACL users' as hashes (see
    /// `RedisConfigBuilder.accessControl`). Without a password (a render without secrets) it is
    /// empty and `deploy` fills it.
    static func authConfig(_ context: ManifestContext, password: String?, users: [String: UserPasswords]) -> CoreV1.Secret {
        var secret = CoreV1.Secret(
            metadata: context.metadata(context.names.authConfigSecret, .redis, annotations: [
                derivedFromAnnotation: context.spec.auth.secretName,
                keysAnnotation: authConfigKey,
            ]),
            type: "Opaque")
        if let password {
            var config = RedisConfig([.init("requirepass", password)])
            config.append(contentsOf: RedisConfigBuilder.accessControl(context.spec.auth.effectiveUsers, passwords: users))
            let lines = config.render(header: "Derived by redisctl from Secret \(context.spec.auth.secretName) and the users' "
                                      + "Secrets; rewritten by every deploy.")
            secret.data = [authConfigKey: Data(lines.utf8).base64EncodedString()]
        }
        return secret
    }
}

extension ManifestSet {
    /// The derived auth Secret with the passwords' redis.conf lines, as `deploy` applies it.
    public static func authConfigSecret(for deployment: RedisDeployment, password: String,
                                        users: [String: UserPasswords]) -> CoreV1.Secret {
        SecretsBuilder.authConfig(ManifestContext(deployment, options: RenderOptions()), password: password, users: users)
    }

    /// Whether deploy generates `object`'s `password` when it creates it (the auth and user Secrets).
    public static func generatesPassword(_ object: any KubernetesObject) -> Bool {
        object is CoreV1.Secret && object.metadata.annotations?[SecretsBuilder.generatedAnnotation] == "password"
    }

    /// Whether `object` is the derived auth Secret of `deployment`, which `deploy` fills and rewrites.
    public static func isAuthConfigSecret(_ object: any KubernetesObject, of deployment: RedisDeployment) -> Bool {
        object is CoreV1.Secret && object.metadata.name == ManifestNames(deployment).authConfigSecret
    }
}
