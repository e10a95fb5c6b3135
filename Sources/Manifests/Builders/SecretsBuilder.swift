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
        let admin = context.options.withSecrets ? context.options.password.map { UserPasswords(current: $0) } : nil
        let derived = authConfig(context, admin: admin, users: context.options.withSecrets ? rendered : [:])
        let certificate: [any KubernetesObject] = TLSSecretsBuilder.certificate(context).map { [$0] } ?? []
        return [auth] + users + [derived, s3] + certificate
    }

    /// A Secret holding one password under `password`, which `deploy` generates when it creates it.
    static func passwordSecret(_ context: ManifestContext, name: String, password: String?) -> CoreV1.Secret {
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

    /// The keys of the derived Secret, mounted in the Redis pods at `RedisConfigMapBuilder.authPath`:
    /// the users for redis-server, the admin password for the probes, the exporter's password file.
    static let authConfigKey = "auth.conf"
    static let adminPasswordKey = "admin-password"
    static let exporterPasswordsKey = "exporter-passwords.json"
    /// Marks the derived Secret `deploy` rewrites from the auth Secret's password on every run.
    static let derivedFromAnnotation = "redisctl.io/derived-from"

    /// What the pods read their credentials from, as files that the kubelet keeps up to date (an
    /// environment variable would keep the password the container started with): redis-server's
    /// users (see `RedisConfigBuilder.accessControl`), the admin password the probes log in with,
    /// and the exporter's password file. Without passwords (a render without secrets) it is empty
    /// and `deploy` fills it.
    static func authConfig(_ context: ManifestContext, admin: UserPasswords?, users: [String: UserPasswords]) -> CoreV1.Secret {
        var secret = CoreV1.Secret(
            metadata: context.metadata(context.names.authConfigSecret, .redis, annotations: [
                derivedFromAnnotation: context.spec.auth.secretName,
                keysAnnotation: [authConfigKey, adminPasswordKey, exporterPasswordsKey].joined(separator: ","),
            ]),
            type: "Opaque")
        if let admin {
            let config = RedisConfig(RedisConfigBuilder.accessControl(context.spec.auth.effectiveUsers, passwords: users, admin: admin))
            let lines = config.render(header: "Derived by redisctl from Secret \(context.spec.auth.secretName) and the users' "
                                      + "Secrets; rewritten by every deploy.")
            func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
            var data: SortedMap<String> = [authConfigKey: base64(lines), adminPasswordKey: base64(admin.current)]
            if let exporter = users[ACLUsers.exporter.name] {
                data[exporterPasswordsKey] = base64(exporterPasswordFile(context, password: exporter.current))
            }
            secret.data = data
        }
        return secret
    }

    /// redis_exporter's `--redis.password-file`: the password by the address it scrapes, read at
    /// every connect (so a rotated password needs no restart).
    static func exporterPasswordFile(_ context: ManifestContext, password: String) -> String {
        let object = [ExporterContainer.redisAddress(context): password]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension ManifestSet {
    /// The derived auth Secret with the passwords' redis.conf lines, as `deploy` applies it.
    public static func authConfigSecret(for deployment: RedisDeployment, admin: UserPasswords,
                                        users: [String: UserPasswords]) -> CoreV1.Secret {
        SecretsBuilder.authConfig(ManifestContext(deployment, options: RenderOptions()), admin: admin, users: users)
    }

    /// A user's password Secret (the admin's: the auth Secret) as `rotate-password` writes it:
    /// `password`, and while a rotation is under way the one it replaces, `previous-password` (with
    /// `--grace`, the time it may go: `previous-until`).
    public static func passwordSecret(for deployment: RedisDeployment, user: String, passwords: UserPasswords) -> CoreV1.Secret {
        let context = ManifestContext(deployment, options: RenderOptions())
        let name = user == ACLUsers.admin.name ? context.spec.auth.secretName : context.names.userSecret(user)
        var secret = SecretsBuilder.passwordSecret(context, name: name, password: nil)
        var data: SortedMap<String> = ["password": Data(passwords.current.utf8).base64EncodedString()]
        if let previous = passwords.previous { data["previous-password"] = Data(previous.utf8).base64EncodedString() }
        if let until = passwords.previousUntil {
            data["previous-until"] = Data(UserPasswords.graceEndText(until).utf8).base64EncodedString()
        }
        secret.data = data
        return secret
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
