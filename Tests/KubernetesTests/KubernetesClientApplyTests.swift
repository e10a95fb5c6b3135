import Foundation
import Kubernetes
import RedisCtlCore
import TestSupport
import Testing

@Suite("KubernetesClient apply, create, get")
struct KubernetesClientApplyTests {
    @Test("apply creates, then updates; an identical apply changes nothing")
    func applyCreatesThenUpdates() async throws {
        try await withClient { server, client in
            let created = try await client.apply(configMapPath("redis-config"), body: configMapYAML("redis-config"))
            let firstVersion = try #require(created["metadata"]["resourceVersion"].string)
            #expect(created["metadata"]["generation"].int == 1)
            #expect(created["metadata"]["uid"].string?.isEmpty == false)
            #expect(created["metadata"]["managedFields"][0]["manager"].string == "redisctl")

            let updated = try await client.apply(configMapPath("redis-config"), body: configMapYAML("redis-config", data: ["a": "2"]))
            let secondVersion = try #require(updated["metadata"]["resourceVersion"].string)
            #expect(secondVersion != firstVersion)
            #expect(updated["metadata"]["generation"].int == 2)
            #expect(updated["data"]["a"].string == "2")

            let again = try await client.apply(configMapPath("redis-config"), body: configMapYAML("redis-config", data: ["a": "2"]))
            #expect(again["metadata"]["resourceVersion"].string == secondVersion)
            #expect(server.object("configmaps", namespace: testNamespace, name: "redis-config")?["data"]["a"].string == "2")
        }
    }

    @Test("a StatefulSet's generation follows spec changes; labels alone do not bump it")
    func generationFollowsSpec() async throws {
        try await withClient { _, client in
            let path = "/apis/apps/v1/namespaces/\(testNamespace)/statefulsets/redis"
            func statefulSet(replicas: Int, label: String) -> String {
                """
                {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"redis","labels":{"tier":"\(label)"}},
                 "spec":{"replicas":\(replicas)},"status":{"readyReplicas":99}}
                """
            }
            let first = try await client.apply(path, body: statefulSet(replicas: 3, label: "a"))
            #expect(first["status"]["readyReplicas"].isNull, "status is a subresource: apply ignores it")
            let relabelled = try await client.apply(path, body: statefulSet(replicas: 3, label: "b"))
            #expect(relabelled["metadata"]["generation"].int == 1)
            let scaled = try await client.apply(path, body: statefulSet(replicas: 6, label: "b"))
            #expect(scaled["metadata"]["generation"].int == 2)
            #expect(scaled["spec"]["replicas"].int == 6)
        }
    }

    @Test("dry-run apply and create return the result and store nothing")
    func dryRunStoresNothing() async throws {
        try await withClient { server, client in
            let before = server.currentResourceVersion
            let previewed = try await client.apply(configMapPath("preview"), body: configMapYAML("preview"), dryRun: true)
            #expect(previewed["data"]["a"].string == "1")
            _ = try await client.create(configMapsPath, body: configMapYAML("preview-create"), dryRun: true)
            #expect(server.object("configmaps", namespace: testNamespace, name: "preview") == nil)
            #expect(server.object("configmaps", namespace: testNamespace, name: "preview-create") == nil)
            #expect(server.currentResourceVersion == before)

            try await client.apply(configMapPath("kept"), body: configMapYAML("kept"))
            let version = server.currentResourceVersion
            let changed = try await client.apply(configMapPath("kept"), body: configMapYAML("kept", data: ["a": "9"]), dryRun: true)
            #expect(changed["data"]["a"].string == "9")
            #expect(server.object("configmaps", namespace: testNamespace, name: "kept")?["data"]["a"].string == "1")
            #expect(server.currentResourceVersion == version)
        }
    }

    @Test("create twice: the second fails as AlreadyExists")
    func createTwice() async throws {
        try await withClient { _, client in
            let secret = """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: redis-auth
                stringData:
                  password: hunter2
                """
            let path = "/api/v1/namespaces/\(testNamespace)/secrets"
            let created = try await client.create(path, body: secret)
            #expect(created["metadata"]["namespace"].string == testNamespace)
            let error = await apiError { try await client.create(path, body: secret) }
            #expect(error?.isAlreadyExists == true)
            #expect(error?.code == 409)
            #expect(error?.reason == .alreadyExists)
            #expect(error?.category == .operationFailed)
        }
    }

    @Test("get of a missing object is nil; of a present one, the object")
    func getMissing() async throws {
        try await withClient { _, client in
            #expect(try await client.get(configMapPath("absent")) == nil)
            try await client.apply(configMapPath("present"), body: configMapYAML("present"))
            #expect(try await client.get(configMapPath("present"))?["data"]["a"].string == "1")
        }
    }

    @Test("a nameless object is refused with 422 and the field named")
    func namelessObjectIsInvalid() async throws {
        try await withClient { _, client in
            let error = await apiError {
                try await client.create(configMapsPath, body: #"{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"1"}}"#)
            }
            #expect(error?.code == 422)
            #expect(error?.reason == .invalid)
            #expect(error?.category == .operationFailed)
            #expect(error?.message.contains("metadata.name: Required value") == true)
        }
    }

    @Test("a kind that does not match the URL is refused with 422")
    func kindMismatchIsInvalid() async throws {
        try await withClient { _, client in
            let error = await apiError { try await client.apply(configMapPath("x"), body: #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#) }
            #expect(error?.code == 422)
        }
    }

    @Test("a malformed or multi-document manifest is refused before anything is sent")
    func malformedManifest() async throws {
        try await withClient { server, client in
            let error = await apiError { try await client.apply(configMapPath("x"), body: "a: [unclosed") }
            #expect(error?.reason == .invalidRequest)
            let twoDocuments = configMapYAML("x") + "---\n" + configMapYAML("y")
            let second = await apiError { try await client.apply(configMapPath("x"), body: twoDocuments) }
            #expect(second?.reason == .invalidRequest)
            #expect(server.requestLog.isEmpty)
        }
    }
}

@Suite("KubernetesClient manifests")
struct KubernetesClientManifestTests {
    @Test("YAML scalars keep their types; date-like and quoted values stay strings")
    func yamlTypes() async throws {
        try await withClient { _, client in
            let yaml = """
                apiVersion: v1
                kind: Service
                metadata:
                  name: redis
                  annotations:
                    deployed-on: 2024-01-01
                    port-text: "6379"
                spec:
                  clusterIP: None
                  publishNotReadyAddresses: true
                  ports:
                    - name: redis
                      port: 6379
                """
            let service = try await client.apply("/api/v1/namespaces/\(testNamespace)/services/redis", body: yaml)
            #expect(service["metadata"]["annotations"]["deployed-on"] == .string("2024-01-01"))
            #expect(service["metadata"]["annotations"]["port-text"] == .string("6379"))
            #expect(service["spec"]["publishNotReadyAddresses"] == .bool(true))
            #expect(service["spec"]["ports"][0]["port"] == .integer(6379))
            #expect(service["spec"]["clusterIP"] == .string("None"))
        }
    }
}
