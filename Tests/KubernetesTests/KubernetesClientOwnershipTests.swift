import Foundation
import Kubernetes
import TestSupport
import Testing

@Suite("KubernetesClient server-side apply ownership")
struct KubernetesClientOwnershipTests {
    let path = "/apis/apps/v1/namespaces/\(testNamespace)/statefulsets/redis"

    func statefulSet(replicas: Int, labels: [String: String] = [:]) -> String {
        let labelText = labels.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        return #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"redis","labels":{"# + labelText
            + #"}},"spec":{"replicas":"# + String(replicas) + "}}"
    }

    @Test("changing a field another manager owns is a Conflict; force takes it over")
    func conflictAndForce() async throws {
        try await withClient { server, client in
            try await client.apply(path, body: statefulSet(replicas: 5), fieldManager: "kubectl")
            let error = await apiError { try await client.apply(path, body: statefulSet(replicas: 3)) }
            #expect(error?.isConflict == true)
            #expect(error?.serverMessage == #"Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas"#)

            // The same value is no conflict: both managers own it.
            try await client.apply(path, body: statefulSet(replicas: 5))
            let forced = try await client.apply(path, body: statefulSet(replicas: 3), force: true)
            #expect(forced["spec"]["replicas"].int == 3)
            let stored = try #require(server.object("statefulsets.apps", namespace: testNamespace, name: "redis"))
            let entries = stored["metadata"]["managedFields"].array ?? []
            let kubectl = entries.first { $0["manager"].string == "kubectl" }
            let redisctl = entries.first { $0["manager"].string == "redisctl" }
            #expect(kubectl?["fieldsV1"]["f:spec"] == .null, "force moved .spec.replicas away from kubectl")
            #expect(redisctl?["fieldsV1"]["f:spec"]["f:replicas"] == .object([:]))
        }
    }

    @Test("a field the manager stops applying is removed; one another manager owns stays")
    func droppedFieldsAreRemoved() async throws {
        try await withClient { _, client in
            try await client.apply(path, body: statefulSet(replicas: 3, labels: ["app": "redis", "old": "x"]))
            try await client.apply(path, body: statefulSet(replicas: 3, labels: ["team": "data"]), fieldManager: "other")
            let updated = try await client.apply(path, body: statefulSet(replicas: 3, labels: ["app": "redis"]))
            #expect(updated["metadata"]["labels"] == ["app": "redis", "team": "data"])
            #expect(updated["spec"]["replicas"].int == 3)
        }
    }
}
