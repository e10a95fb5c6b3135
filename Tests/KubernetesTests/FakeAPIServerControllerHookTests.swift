import Foundation
import Kubernetes
import RedisCtlCore
import TestSupport
import Testing

@Suite("FakeKubernetesAPIServer controller hooks")
struct FakeAPIServerControllerHookTests {
    @Test("an in-process controller can follow StatefulSets and write Pods and status that clients see")
    func controllerWritesPodsAndStatus() async throws {
        try await withClient { server, client in
            let statefulSets = try #require(server.resourceType("statefulsets.apps"))
            let pods = try #require(server.resourceType("pods"))
            let store = server.store
            let subscription = store.subscribe(statefulSets) { event in
                guard event.type == "ADDED" else { return }
                let name = event.object["metadata"]["name"].string ?? ""
                let uid = event.object["metadata"]["uid"]
                let replicas = event.object["spec"]["replicas"].int ?? 0
                let namespace = event.namespace
                Task {
                    for ordinal in 0..<replicas {
                        store.put(pods, namespace: namespace, object: [
                            "apiVersion": "v1", "kind": "Pod",
                            "metadata": ["name": .string("\(name)-\(ordinal)"),
                                         "ownerReferences": [["kind": "StatefulSet", "name": .string(name), "uid": uid]]],
                            "status": ["podIP": .string("127.0.1.\(ordinal + 1)"),
                                       "conditions": [["type": "Ready", "status": "True"]]],
                        ])
                    }
                    store.updateStatus(statefulSets, namespace: namespace, name: name,
                                       status: ["readyReplicas": .integer(replicas), "observedGeneration": 1])
                }
            }
            defer { store.unsubscribe(subscription) }

            let path = "/apis/apps/v1/namespaces/\(testNamespace)/statefulsets/redis"
            try await client.apply(path, body: #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"redis"},"spec":{"replicas":3}}"#)
            let ready = try await poll("the StatefulSet to be ready", until: .after(.seconds(5))) {
                let readyReplicas = try await client.get(path)?["status"]["readyReplicas"].int
                return readyReplicas == 3 ? .done(3) : .notYet("readyReplicas \(readyReplicas.map(String.init) ?? "unset")")
            }
            #expect(ready == 3)
            let podList = try await client.list("/api/v1/namespaces/\(testNamespace)/pods")
            #expect(podList.items.compactMap { $0["status"]["podIP"].string } == ["127.0.1.1", "127.0.1.2", "127.0.1.3"])
        }
    }
}
