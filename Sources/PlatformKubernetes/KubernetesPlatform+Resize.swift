import Foundation
import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import Spec

extension KubernetesPlatform {
    /// Applies the deployment with its new shape (the StatefulSet's replicas follow), then waits
    /// for the new pods to be ready or the removed ones to be gone. PersistentVolumeClaims of
    /// removed pods stay (the StatefulSet keeps them) unless `deleteData`.
    public func resize(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deleteData: Bool,
                       deadline: Deadline, progress: any ProgressReporter) async throws -> [PodEndpoint] {
        let wanted = deployment.spec.redisPodCount
        _ = try await apply(deployment, removalGuard: removalGuard, deadline: deadline, progress: progress)
        if try await pods().count < wanted {
            return try await waitForPods(count: wanted, deadline: deadline, progress: progress)
        }
        let remaining = try await poll("pods above ordinal \(wanted - 1) of \(names.statefulSet) to be removed",
                                       until: deadline, initialInterval: .milliseconds(100), maxInterval: .seconds(1)) {
            let pods = try await self.pods()
            let left = pods.filter { $0.ordinal >= wanted }.map(\.name)
            return left.isEmpty ? .done(pods) : .notYet("still running: \(left.joined(separator: ", "))")
        }
        if deleteData {
            let claims = try await client.list(CoreV1.PersistentVolumeClaim.resource.collectionPath(namespace: namespace),
                                               labelSelector: podSelector)
            for claim in claims.items {
                guard let name = claim["metadata"]["name"].string,
                      let ordinal = name.split(separator: "-").last.flatMap({ Int($0) }), ordinal >= wanted,
                      name.contains(names.statefulSet) else { continue }
                let path = CoreV1.PersistentVolumeClaim.resource.objectPath(name: name, namespace: namespace)
                if try await client.delete(path) { progress.step("deleted PersistentVolumeClaim \(namespace)/\(name)") }
            }
        }
        return remaining
    }
}
