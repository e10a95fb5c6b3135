import Foundation
import Kubernetes
import Manifests
import RedisCtlCore
import Spec
import Synchronization
import Testing
import TestSupport
@testable import PlatformKubernetes
@testable import Platforms

/// The Kubernetes platform against the fake API server: what deploy applies, in which order, and
/// what it leaves alone.
@Suite struct KubernetesPlatformTests {
    static func withPlatform(
        _ deployment: RedisDeployment = .defaults, options: FakeAPIServerOptions = .init(),
        _ body: (FakeKubernetesAPIServer, KubernetesPlatform) async throws -> Void
    ) async throws {
        let server = try await FakeKubernetesAPIServer.start(options: options)
        let client = KubernetesClient(configuration: KubernetesClientConfiguration(server: server.baseURL))
        let platform = KubernetesPlatform(deployment: deployment, client: client)
        do {
            try await body(server, platform)
        } catch {
            await platform.shutdown()
            try await server.stop()
            throw error
        }
        await platform.shutdown()
        try await server.stop()
    }

    @Test func applyCreatesEverythingThenChangesNothing() async throws {
        try await Self.withPlatform { server, platform in
            let first = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            #expect(first.updated.isEmpty && first.unchanged.isEmpty)
            #expect(first.created.contains("Namespace redis-system"))
            #expect(first.created.contains("StatefulSet redis-system/redis-cluster"))
            #expect(first.created.contains("Secret redis-system/redis-auth"))
            #expect(server.object("statefulsets", namespace: "redis-system", name: "redis-cluster")?["spec"]["replicas"].int == 6)
            #expect(!server.objects("prometheusrules", namespace: "redis-system").isEmpty)

            // The auth Secret holds a generated 32-character password, readable through the platform.
            let password = try await platform.password()
            #expect(password.count == 32)

            let second = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            #expect(second.created.isEmpty && second.updated.isEmpty, "second apply changed \(second.updated)")
            #expect(second.unchanged.count == first.created.count)
            #expect(try await platform.password() == password, "the Secret was overwritten")
        }
    }

    /// Secrets beside the password (the backup credentials) are read through the platform: decoded,
    /// nil when absent, and a value that is not base64 text is an error naming the key.
    @Test func secretValuesAreDecodedOrRefused() async throws {
        try await Self.withPlatform { _, platform in
            _ = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            let collection = CoreV1.Secret.resource.collectionPath(namespace: "redis-system")
            let id = Data("AKIDEXAMPLE".utf8).base64EncodedString()
            _ = try await platform.client.create(collection, body: #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"backup-s3","namespace":"redis-system"},"data":{"AWS_ACCESS_KEY_ID":"\#(id)"}}"#)
            _ = try await platform.client.create(collection, body: #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"broken","namespace":"redis-system"},"data":{"AWS_SECRET_ACCESS_KEY":"%%%"}}"#)
            #expect(try await platform.secretValues(named: "backup-s3") == ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"])
            #expect(try await platform.secretValues(named: "absent") == nil)
            let error = try await #require(throws: GeneralFailure.self) { try await platform.secretValues(named: "broken") }
            #expect(error.category == .cannotRun && error.message.contains("'AWS_SECRET_ACCESS_KEY'"), "\(error.message)")
        }
    }

    @Test func changedSpecUpdatesConfigAndRollsTheStatefulSet() async throws {
        try await Self.withPlatform { server, platform in
            _ = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            let before = server.object("statefulsets", namespace: "redis-system", name: "redis-cluster")
            var changed = RedisDeployment.defaults
            changed.spec.redis.maxmemory = "5gb"
            let result = try await platform.apply(changed, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            #expect(result.updated.contains("ConfigMap redis-system/redis-cluster-config"))
            #expect(result.updated.contains("StatefulSet redis-system/redis-cluster"))
            let after = server.object("statefulsets", namespace: "redis-system", name: "redis-cluster")
            // A new config hash in the pod template: the StatefulSet controller rolls the pods.
            #expect(before?["metadata"]["generation"].int != after?["metadata"]["generation"].int)
            let config = server.object("configmaps", namespace: "redis-system", name: "redis-cluster-config")
            #expect(config?["data"]["redis.conf"].string?.contains("maxmemory 5gb") == true)
        }
    }

    @Test func serverDryRunStoresNothing() async throws {
        try await Self.withPlatform { server, platform in
            _ = server.seed("namespaces", object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "redis-system"]])
            let before = server.currentResourceVersion
            let objects = try await platform.serverDryRun(.defaults, progress: SilentProgress())
            #expect(objects.allSatisfy { $0.checked }, "\(objects.filter { !$0.checked })")
            #expect(objects.contains(DryRunObject(object: "StatefulSet redis-system/redis-cluster", result: .created, checked: true)))
            #expect(objects.contains(DryRunObject(object: "Namespace redis-system", result: .unchanged, checked: true)))
            #expect(server.objects("statefulsets", namespace: "redis-system").isEmpty)
            #expect(server.objects("secrets", namespace: "redis-system").isEmpty)
            #expect(server.currentResourceVersion == before)
        }
    }

    /// Regression test for a server dry run into a new namespace failing with `namespaces "X" not
    /// found`: the Namespace is checked by the server, what goes into it is reported unchecked.
    @Test func serverDryRunIntoANewNamespaceChecksTheNamespaceOnly() async throws {
        try await Self.withPlatform { server, platform in
            let before = server.currentResourceVersion
            let objects = try await platform.serverDryRun(.defaults, progress: SilentProgress())
            #expect(objects.first == DryRunObject(object: "Namespace redis-system", result: .created, checked: true))
            let inside = objects.dropFirst()
            #expect(inside.count > 10)
            #expect(inside.allSatisfy {
                !$0.checked && $0.result == .created
                    && $0.note == "would be created; the server cannot check it until namespace redis-system exists"
            }, "\(inside)")
            #expect(inside.contains { $0.object == "ResourceQuota redis-system/redis-quota" })
            let writes = server.requestLog.filter { $0.hasPrefix("PATCH") || $0.hasPrefix("POST") }
            #expect(writes == ["PATCH /api/v1/namespaces/redis-system"], "only the Namespace is sent: \(writes)")
            #expect(server.object("namespaces", name: "redis-system") == nil)
            #expect(server.currentResourceVersion == before)
        }
    }

    @Test func missingMonitoringCRDsAreSkippedWithAWarning() async throws {
        var options = FakeAPIServerOptions()
        options.servesMonitoringCRDs = false
        try await Self.withPlatform(options: options) { server, platform in
            let progress = RecordingProgress()
            let result = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: progress)
            #expect(progress.messages.contains { $0.contains("monitoring.coreos.com/v1") })
            #expect(!result.created.contains { $0.hasPrefix("ServiceMonitor") || $0.hasPrefix("PrometheusRule") })
            #expect(result.created.contains("StatefulSet redis-system/redis-cluster"))
        }
    }

    @Test func waitingForPodsThatNeverComeNamesThem() async throws {
        try await Self.withPlatform { _, platform in
            _ = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            do {
                _ = try await platform.waitForPods(count: 6, deadline: .after(.milliseconds(600)), progress: SilentProgress())
                Issue.record("pods reported ready with no kubelet")
            } catch let error as WaitTimedOut {
                #expect(error.message.contains("0/6 ready"), "\(error.message)")
                #expect(error.message.contains("6 pod(s) not created yet"), "\(error.message)")
                #expect(error.category == .operationFailed)
            }
        }
    }

    @Test func waitingForPodsThatFailNamesTheirLatestEvent() async throws {
        try await Self.withPlatform { server, platform in
            _ = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            let labels: JSONValue = ["app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "redis-cluster",
                                     "app.kubernetes.io/component": "redis"]
            for ordinal in 0..<6 {
                let ready = ordinal != 4
                server.seed("pods", namespace: "redis-system", object: [
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": ["name": .string("redis-cluster-\(ordinal)"), "namespace": "redis-system", "labels": labels],
                    "status": ["phase": ready ? "Running" : "Pending", "podIP": .string("10.0.0.\(ordinal + 1)"),
                               "conditions": [["type": "Ready", "status": ready ? "True" : "False",
                                               "reason": ready ? "" : "ContainersNotReady"]]],
                ])
            }
            for (time, reason, message) in [("2026-01-01T10:00:00Z", "Scheduled", "assigned to node-a"),
                                             ("2026-01-01T10:00:09Z", "BackOff", "Back-off restarting failed container redis"),
                                             ("2026-01-01T10:00:05Z", "Pulled", "image already present")] {
                server.seed("events", namespace: "redis-system", object: [
                    "apiVersion": "v1", "kind": "Event",
                    "metadata": ["name": .string("redis-cluster-4.\(reason)"), "namespace": "redis-system"],
                    "involvedObject": ["kind": "Pod", "name": "redis-cluster-4", "namespace": "redis-system"],
                    "reason": .string(reason), "message": .string(message), "type": "Warning",
                    "lastTimestamp": .string(time),
                ])
            }
            do {
                _ = try await platform.waitForPods(count: 6, deadline: .after(.milliseconds(600)), progress: SilentProgress())
                Issue.record("a pod that is not ready was reported ready")
            } catch let error as WaitTimedOut {
                #expect(error.message.contains("5/6 ready"), "\(error.message)")
                #expect(error.message.contains("redis-cluster-4: ContainersNotReady"), "\(error.message)")
                #expect(error.message.contains("redis-cluster-4: BackOff: Back-off restarting failed container redis"),
                        "\(error.message)")
                #expect(!error.message.contains("redis-cluster-3"), "\(error.message)")
            }
        }
    }

    @Test func applyRecordsTheDeploymentOnTheStatefulSet() async throws {
        try await Self.withPlatform { server, platform in
            #expect(try await platform.deployedSpec() == nil)
            var scaled = RedisDeployment.defaults
            scaled.spec.masters = 5
            scaled.spec.redis.maxmemory = "256mb"
            scaled.spec.redis.extraConfig = ["lazyfree-lazy-eviction": "yes"]
            _ = try await platform.apply(scaled, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)),
                                         progress: SilentProgress())
            #expect(try await platform.deployedSpec() == scaled)
            // The same deployment again is the same record: nothing is updated.
            let again = try await platform.apply(scaled, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)),
                                                 progress: SilentProgress())
            #expect(again.updated.isEmpty, "\(again.updated)")

            let statefulSet = try #require(server.object("statefulsets", namespace: "redis-system", name: "redis-cluster"))
            server.seed("statefulsets", namespace: "redis-system", object: statefulSet.merging([
                "metadata": ["annotations": [.init(stringLiteral: KubernetesPlatform.deployedSpecAnnotation):
                                                 "{\"spec\": {\"masters\": \"five\"}}"]]]))
            do {
                _ = try await platform.deployedSpec()
                Issue.record("a damaged record was read as a spec")
            } catch let error as GeneralFailure {
                #expect(error.category == .cannotRun)
                #expect(error.message.contains("annotation redisctl.io/deployed-spec of StatefulSet redis-system/redis-cluster"),
                        "\(error.message)")
                #expect(error.message.contains("redisctl.io/deployed-spec-) and the next command reads the size from the nodes"),
                        "\(error.message)")
            }
        }
    }

    @Test func anApplyThatWouldRemovePodsAsksTheGuardFirstAndChangesNothingWhenRefused() async throws {
        try await Self.withPlatform { server, platform in
            var grown = RedisDeployment.defaults
            grown.spec.masters = 4
            _ = try await platform.apply(grown, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)),
                                         progress: SilentProgress())
            Self.seedPods(server, count: 8)
            let before = server.object("statefulsets", namespace: "redis-system", name: "redis-cluster")
            let refusing = RefusingGuard()
            do {
                _ = try await platform.apply(.defaults, removalGuard: refusing, deadline: .after(.seconds(30)),
                                             progress: SilentProgress())
                Issue.record("an apply removed pods the guard refused")
            } catch let error as GeneralFailure {
                #expect(error.message.contains("refused"))
            }
            #expect(refusing.asked.withLock { $0 } == ["redis-cluster-6", "redis-cluster-7"])
            #expect(server.object("statefulsets", namespace: "redis-system", name: "redis-cluster") == before)
            #expect(try await platform.deployedSpec() == grown)
        }
    }

    static func seedPods(_ server: FakeKubernetesAPIServer, count: Int) {
        let labels: JSONValue = ["app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "redis-cluster",
                                 "app.kubernetes.io/component": "redis"]
        for ordinal in 0..<count {
            server.seed("pods", namespace: "redis-system", object: [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string("redis-cluster-\(ordinal)"), "namespace": "redis-system", "labels": labels],
                "status": ["phase": "Running", "podIP": .string("10.0.0.\(ordinal + 1)"),
                           "conditions": [["type": "Ready", "status": "True"]]],
            ])
        }
    }

    @Test func destroyKeepsTheNamespaceAndDataUnlessAsked() async throws {
        try await Self.withPlatform { server, platform in
            _ = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            let kept = try await platform.destroy(deleteData: false, deadline: .after(.seconds(30)), progress: SilentProgress())
            #expect(kept.deleted.contains("StatefulSet redis-system/redis-cluster"))
            #expect(server.objects("statefulsets", namespace: "redis-system").isEmpty)
            #expect(server.object("namespaces", name: "redis-system") != nil)

            _ = try await platform.apply(.defaults, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(30)), progress: SilentProgress())
            let all = try await platform.destroy(deleteData: true, deadline: .after(.seconds(30)), progress: SilentProgress())
            #expect(all.deleted.contains("Namespace redis-system"))
            #expect(server.object("namespaces", name: "redis-system") == nil)
        }
    }
}

/// For applies that remove no pod: being asked is a failure.
struct NoRemovalExpected: PodRemovalGuard {
    func ensureRemovable(_ pods: [PodEndpoint], deadline: Deadline) async throws {
        Issue.record("asked to remove \(pods.map(\.name)) by an apply that removes nothing")
        throw GeneralFailure(.operationFailed, "unexpected removal")
    }
}

/// Refuses every removal and remembers which pods it was asked about.
final class RefusingGuard: PodRemovalGuard {
    let asked = Mutex<[String]>([])

    func ensureRemovable(_ pods: [PodEndpoint], deadline: Deadline) async throws {
        asked.withLock { $0 = pods.map(\.name) }
        throw GeneralFailure(.operationFailed, "refused")
    }
}
