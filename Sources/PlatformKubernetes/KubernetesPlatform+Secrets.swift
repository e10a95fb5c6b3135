import Foundation
import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import Spec

extension KubernetesPlatform: SecretSource {
    /// A Secret of the deployment's namespace, its base64 `data` decoded as UTF-8.
    public func secretValues(named name: String) async throws -> [String: String]? {
        guard let secret = try await client.get(CoreV1.Secret.resource.objectPath(name: name, namespace: namespace)) else {
            return nil
        }
        var values: [String: String] = [:]
        for (key, value) in secret["data"].object ?? [:] {
            guard let encoded = value.string, let data = Data(base64Encoded: encoded),
                  let text = String(data: data, encoding: .utf8) else {
                throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name): key '\(key)' is not base64-encoded UTF-8 text; fix the Secret")
            }
            values[key] = text
        }
        return values
    }
}

extension KubernetesPlatform: PasswordRotating {
    public func storedPasswords(of user: String, for deployment: RedisDeployment) async throws -> UserPasswords {
        try await userPasswords(user, names: ManifestNames(deployment))
    }

    /// The user's Secret in one write (both keys together), then the derived auth Secret the pods
    /// mount, which the kubelet brings into every pod within about a minute.
    public func storePasswords(_ passwords: UserPasswords, of user: String, for deployment: RedisDeployment,
                               progress: any ProgressReporter) async throws {
        let secret = ManifestSet.passwordSecret(for: deployment, user: user, passwords: passwords)
        try await client.apply(secret.objectPath, body: try YAMLRenderer.render(secret), fieldManager: Self.fieldManager, force: true)
        let derived = try await authConfigSecret(dryRun: false)
        try await client.apply(derived.objectPath, body: try YAMLRenderer.render(derived), fieldManager: Self.fieldManager, force: true)
        progress.detail("updated Secret \(namespace)/\(secret.metadata.name) and \(namespace)/\(derived.metadata.name)")
    }
}
