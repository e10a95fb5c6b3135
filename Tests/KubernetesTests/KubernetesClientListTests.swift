import Foundation
import Kubernetes
import RedisCtlCore
import TestSupport
import Testing

@Suite("KubernetesClient list and delete")
struct KubernetesClientListTests {
    @Test("list follows continue tokens across pages and applies the label selector")
    func listAcrossPages() async throws {
        try await withClient { server, client in
            for index in 0..<7 {
                try await client.apply(configMapPath("node-\(index)"), body: configMapYAML("node-\(index)", labels: ["app": "redis"]))
            }
            for index in 0..<3 {
                try await client.apply(configMapPath("other-\(index)"), body: configMapYAML("other-\(index)", labels: ["app": "web"]))
            }
            let listsBefore = server.requestLog.filter { $0.hasPrefix("GET ") }.count
            let list = try await client.list(configMapsPath, labelSelector: "app=redis", pageSize: 3)
            #expect(list.items.compactMap { $0["metadata"]["name"].string } == (0..<7).map { "node-\($0)" })
            #expect(Int(list.resourceVersion) == server.currentResourceVersion)
            #expect(server.requestLog.filter { $0.hasPrefix("GET ") }.count - listsBefore == 3)

            #expect(try await client.list(configMapsPath, labelSelector: "app!=redis").items.count == 3)
            #expect(try await client.list(configMapsPath, labelSelector: "app").items.count == 10)
            #expect(try await client.list(configMapsPath, labelSelector: "!app").items.isEmpty)
            #expect(try await client.list(configMapsPath, labelSelector: "app in (web,db)").items.count == 3)
        }
    }

    @Test("deleting a StatefulSet takes its Pods along and leaves its PVCs; a second delete reports it gone")
    func deleteWithPropagation() async throws {
        try await withClient { server, client in
            let path = "/apis/apps/v1/namespaces/\(testNamespace)/statefulsets/redis"
            let statefulSet = try await client.apply(path, body: #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"redis"},"spec":{"replicas":2}}"#)
            let uid = try #require(statefulSet["metadata"]["uid"].string)
            for ordinal in 0..<2 {
                server.seed("pods", namespace: testNamespace, object: [
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": ["name": .string("redis-\(ordinal)"),
                                 "ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "redis", "uid": .string(uid)]]],
                ])
                server.seed("persistentvolumeclaims", namespace: testNamespace, object: [
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": .string("data-redis-\(ordinal)")],
                ])
            }
            #expect(try await client.delete(path) == true)
            #expect(server.objects("pods", namespace: testNamespace).isEmpty)
            #expect(server.objects("persistentvolumeclaims", namespace: testNamespace).count == 2)
            #expect(try await client.delete(path) == false)
        }
    }

    @Test("an orphaning delete leaves the dependents")
    func orphanDelete() async throws {
        try await withClient { server, client in
            let path = "/apis/apps/v1/namespaces/\(testNamespace)/statefulsets/redis"
            let statefulSet = try await client.apply(path, body: #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"redis"}}"#)
            server.seed("pods", namespace: testNamespace, object: [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": "redis-0", "ownerReferences": [["uid": statefulSet["metadata"]["uid"].string.map(JSONValue.string) ?? .null]]],
            ])
            #expect(try await client.delete(path, propagationPolicy: "Orphan"))
            #expect(server.objects("pods", namespace: testNamespace).count == 1)
        }
    }
}
