import Foundation
import Spec

@testable import Manifests

enum Fixtures {
    /// The package root, found from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("manifests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Deployment shapes other than the default.
enum Shapes {
    static var fiveMastersTwoReplicas: RedisDeployment {
        var deployment = RedisDeployment.defaults
        deployment.spec.masters = 5
        deployment.spec.replicasPerMaster = 2
        return deployment
    }

    /// Four shards: four disruption budgets.
    static var fourMasters: RedisDeployment {
        var deployment = RedisDeployment.defaults
        deployment.spec.masters = 4
        return deployment
    }

    static var sentinel: RedisDeployment {
        var deployment = RedisDeployment.defaults
        deployment.spec.topology = .sentinel
        deployment.spec.masters = 1
        deployment.spec.replicasPerMaster = 2
        return deployment
    }

    static var tls: RedisDeployment {
        var deployment = RedisDeployment.defaults
        deployment.spec.tls.enabled = true
        return deployment
    }

    /// TLS from a cert-manager ClusterIssuer: a Certificate object instead of a made Secret.
    static var certManager: RedisDeployment {
        var deployment = tls
        deployment.spec.tls.issuer = TLSIssuerRef(name: "internal-ca", kind: "ClusterIssuer")
        return deployment
    }

    static var noNetworkPolicy: RedisDeployment {
        var deployment = RedisDeployment.defaults
        deployment.spec.networkPolicy.enabled = false
        return deployment
    }

    static var customStorageClass: RedisDeployment {
        var deployment = RedisDeployment.defaults
        deployment.spec.storage.storageClassName = "fast-ssd"
        deployment.spec.storage.size = "250Gi"
        deployment.spec.backup.s3.bucket = "acme-backups"
        deployment.spec.backup.s3.endpoint = "https://minio.example.internal"
        return deployment
    }

    static var all: [(String, RedisDeployment)] {
        [("default", .defaults), ("4x1", fourMasters), ("5x2", fiveMastersTwoReplicas), ("sentinel", sentinel), ("tls", tls),
         ("cert-manager", certManager), ("no-network-policy", noNetworkPolicy), ("storage-class", customStorageClass)]
    }
}
