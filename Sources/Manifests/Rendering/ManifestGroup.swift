import Foundation

/// Objects that are rendered into one file, in apply order.
public struct ManifestGroup: Sendable {
    /// `namespace.yaml`, `statefulset.yaml`, ...
    public let fileName: String
    public let objects: [any KubernetesObject]

    public init(fileName: String, objects: [any KubernetesObject]) {
        self.fileName = fileName
        self.objects = objects
    }

    /// The group as a multi-document YAML stream.
    public func render() throws -> String {
        try YAMLRenderer.render(objects)
    }
}

extension Array where Element == ManifestGroup {
    /// Every object of every group, in order: what `render` prints on stdout and `deploy` applies.
    public var allObjects: [any KubernetesObject] { flatMap(\.objects) }

    /// One multi-document stream of all groups.
    public func render() throws -> String {
        try YAMLRenderer.render(allObjects)
    }

    /// Writes one file per group into `directory` (created if missing). Files of the fixed file set
    /// that this deployment does not produce are removed, so the directory matches the spec.
    public func writeFiles(to directory: URL) throws {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ManifestsError.writeFailed(path: directory.path, reason: error.localizedDescription)
        }
        for group in self {
            let url = directory.appendingPathComponent(group.fileName)
            do {
                try Data(try group.render().utf8).write(to: url, options: .atomic)
            } catch let error as ManifestsError {
                throw error
            } catch {
                throw ManifestsError.writeFailed(path: url.path, reason: error.localizedDescription)
            }
        }
        let written = Set(map(\.fileName))
        for stale in ManifestFileName.all where !written.contains(stale) {
            let url = directory.appendingPathComponent(stale)
            if fileManager.fileExists(atPath: url.path) {
                try? fileManager.removeItem(at: url)
            }
        }
    }
}

/// The file set `render --out` writes, in apply order.
public enum ManifestFileName {
    public static let namespace = "namespace.yaml"
    public static let secrets = "secrets.yaml"
    public static let configMap = "configmap.yaml"
    public static let rbac = "rbac.yaml"
    public static let services = "services.yaml"
    public static let statefulSet = "statefulset.yaml"
    public static let sentinelService = "sentinel-service.yaml"
    public static let sentinelStatefulSet = "sentinel-statefulset.yaml"
    public static let podDisruptionBudget = "pdb.yaml"
    public static let networkPolicy = "network-policy.yaml"
    public static let monitoring = "monitoring.yaml"
    public static let backup = "backup-cronjob.yaml"

    public static let all = [
        namespace, secrets, configMap, rbac, services, statefulSet, sentinelService, sentinelStatefulSet,
        podDisruptionBudget, networkPolicy, monitoring, backup,
    ]
}
