import Backup
import Foundation
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
            if !hasEnvironmentKeys, let secrets = platform as? any SecretSource {
                secret = try await secrets.secretValues(named: spec.secretName)
            }
            let configuration = try S3Configuration.resolve(bucket: bucket, prefix: prefix, spec: spec,
                                                            environment: environment, secret: secret)
            return S3Store(configuration: configuration, deadline: deadline, progress: progress)
        }
    }
}

/// Runs `body` with the store and shuts the store down afterwards, also on failure.
func withBackupStore<Result>(_ store: any BackupStore, _ body: (any BackupStore) async throws -> Result) async throws -> Result {
    try await withCleanup({ try await body(store) }, cleanup: { await store.shutdown() })
}
