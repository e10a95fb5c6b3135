import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import Spec

extension KubernetesPlatform: ServerSideDryRunning {
    /// `deploy --dry-run server`: every object sent with `dryRun=All`, so the server validates it
    /// and stores nothing. Objects in a namespace that does not exist yet are not sent (the server
    /// would refuse them as `namespaces "X" not found`); they are reported as unchecked.
    public func serverDryRun(_ deployment: RedisDeployment, progress: any ProgressReporter) async throws -> [DryRunObject] {
        var namespaceExists: [String: Bool] = [:]
        var results: [DryRunObject] = []
        for object in try await servedObjects(of: deployment, progress: progress) {
            if type(of: object).resource.namespaced, let namespace = object.metadata.namespace {
                if namespaceExists[namespace] == nil {
                    namespaceExists[namespace] = try await client.get(CoreV1.Namespace.resource.objectPath(
                        name: namespace, namespace: nil)) != nil
                }
                if namespaceExists[namespace] == false {
                    results.append(.awaitingNamespace(object.displayName, namespace: namespace))
                    continue
                }
            }
            let outcome = try await apply(object, dryRun: true, progress: progress)
            results.append(DryRunObject(object: object.displayName, result: outcome, checked: true))
        }
        return results
    }
}

extension ApplyResult {
    /// What a dry run would change, object by object.
    public init(_ dryRun: [DryRunObject]) {
        self.init(created: dryRun.filter { $0.result == .created }.map(\.object),
                  updated: dryRun.filter { $0.result == .updated }.map(\.object),
                  unchanged: dryRun.filter { $0.result == .unchanged }.map(\.object))
    }
}
