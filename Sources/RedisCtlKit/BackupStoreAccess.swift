import Backup
import Foundation
import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import Spec

extension DeploymentTarget {
    /// The store behind `--to`/`--from`: a directory, or S3 with credentials from the environment,
    /// else (on Kubernetes) from the spec's backup Secret. `deadline` bounds every S3 request, and
    /// one that keeps the command waiting is reported to `progress`.
    func backupStore(_ location: StoreLocation, deadline: Deadline, progress: any ProgressReporter) async throws -> any BackupStore {
        switch location {
        case .directory(let path):
            return DirectoryStore(root: path)
        case .s3(let bucket, let prefix):
            let spec = deployment.spec.backup.s3
            let hasEnvironmentKeys = !(environment["AWS_ACCESS_KEY_ID"] ?? "").isEmpty
                && !(environment["AWS_SECRET_ACCESS_KEY"] ?? "").isEmpty
            var secret: [String: String]?
            if !hasEnvironmentKeys, let kubernetes = platform as? KubernetesPlatform {
                secret = try await backupSecret(kubernetes, name: spec.secretName)
            }
            let configuration = try S3Configuration.resolve(bucket: bucket, prefix: prefix, spec: spec,
                                                            environment: environment, secret: secret)
            return S3Store(configuration: configuration, deadline: deadline, progress: progress)
        }
    }

    /// The backup Secret's data, decoded; nil when it does not exist.
    private func backupSecret(_ platform: KubernetesPlatform, name: String) async throws -> [String: String]? {
        let namespace = deployment.metadata.namespace
        guard let secret = try await platform.client.get(CoreV1.Secret.resource.objectPath(name: name, namespace: namespace)) else {
            return nil
        }
        var values: [String: String] = [:]
        for (key, value) in secret["data"].object ?? [:] {
            if let encoded = value.string, let data = Data(base64Encoded: encoded) {
                values[key] = String(decoding: data, as: UTF8.self)
            }
        }
        return values
    }
}

/// Runs `body` with the store and shuts the store down afterwards, also on failure.
func withBackupStore<Result>(_ store: any BackupStore, _ body: (any BackupStore) async throws -> Result) async throws -> Result {
    do {
        let result = try await body(store)
        await store.shutdown()
        return result
    } catch {
        await store.shutdown()
        throw error
    }
}
