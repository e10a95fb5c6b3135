import Foundation
import Kubernetes
import TestSupport
import Testing

@Suite("KubernetesClient discovery")
struct KubernetesClientDiscoveryTests {
    @Test("group versions include monitoring.coreos.com/v1 when the CRDs are installed")
    func withMonitoring() async throws {
        try await withClient { _, client in
            let versions = try await client.discoverGroupVersions()
            #expect(versions.isSuperset(of: ["v1", "apps/v1", "policy/v1", "batch/v1", "networking.k8s.io/v1",
                                             "rbac.authorization.k8s.io/v1", "monitoring.coreos.com/v1"]))
        }
    }

    @Test("without the CRDs, monitoring.coreos.com is absent and its resources are not served")
    func withoutMonitoring() async throws {
        var options = FakeAPIServerOptions()
        options.servesMonitoringCRDs = false
        try await withClient(options: options) { _, client in
            let versions = try await client.discoverGroupVersions()
            #expect(versions.contains("apps/v1"))
            #expect(!versions.contains("monitoring.coreos.com/v1"))
            let error = await apiError {
                try await client.apply("/apis/monitoring.coreos.com/v1/namespaces/\(testNamespace)/servicemonitors/redis",
                                       body: #"{"apiVersion":"monitoring.coreos.com/v1","kind":"ServiceMonitor","metadata":{"name":"redis"}}"#)
            }
            #expect(error?.code == 404)
        }
    }
}
