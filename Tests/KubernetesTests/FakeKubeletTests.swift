import Foundation
import Kubernetes
import RESP
import RedisCtlCore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let password = "s3cret-pass"
private let statefulSetPath = "/apis/apps/v1/namespaces/\(testNamespace)/statefulsets/redis"
private let podsPath = "/api/v1/namespaces/\(testNamespace)/pods"

/// A StatefulSet shaped like `redisctl render`'s: redis-server with the ConfigMap's redis.conf and
/// the announce/password arguments, an exporter sidecar, a data volume claim.
private func statefulSet(replicas: Int, annotation: String = "one") -> String {
    let labels: JSONValue = ["app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "redis"]
    let object: JSONValue = [
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": ["name": "redis", "namespace": .string(testNamespace), "labels": labels],
        "spec": [
            "serviceName": "redis-headless",
            "replicas": .integer(replicas),
            "podManagementPolicy": "Parallel",
            "updateStrategy": ["type": "RollingUpdate"],
            "selector": ["matchLabels": labels],
            "template": [
                "metadata": ["labels": labels, "annotations": ["redisctl.io/config-hash": .string(annotation)]],
                "spec": [
                    "containers": [
                        [
                            "name": "redis", "image": "redis:7.2-alpine",
                            "command": ["redis-server"],
                            "args": [
                                "/etc/redis/redis.conf", "--cluster-announce-ip", "$(POD_IP)",
                                "--cluster-announce-hostname", "$(POD_HOSTNAME)",
                                "--requirepass", "$(REDIS_PASSWORD)", "--masterauth", "$(REDIS_PASSWORD)",
                            ],
                            "env": [
                                ["name": "POD_IP", "valueFrom": ["fieldRef": ["apiVersion": "v1", "fieldPath": "status.podIP"]]],
                                ["name": "POD_NAME", "valueFrom": ["fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.name"]]],
                                ["name": "POD_HOSTNAME", "value": .string("$(POD_NAME).redis-headless.\(testNamespace).svc")],
                                ["name": "REDIS_PASSWORD", "valueFrom": ["secretKeyRef": ["name": "redis-auth", "key": "password"]]],
                            ],
                            "resources": ["limits": ["memory": "16Gi"]],
                            "securityContext": ["runAsUser": 999],
                            "volumeMounts": [
                                ["name": "data", "mountPath": "/data"],
                                ["name": "config", "mountPath": "/etc/redis/redis.conf", "subPath": "redis.conf", "readOnly": true],
                                ["name": "tmp", "mountPath": "/tmp"],
                            ],
                        ],
                        ["name": "metrics", "image": "oliver006/redis_exporter:v1.55.0"],
                    ],
                    "volumes": [
                        ["name": "config", "configMap": ["name": "redis-config"]],
                        ["name": "tmp", "emptyDir": [:]],
                    ],
                ],
            ],
            "volumeClaimTemplates": [[
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": ["name": "data"],
                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
            ]],
        ],
    ]
    return String(decoding: object.encodedData, as: UTF8.self)
}

private let redisConf = """
    protected-mode yes
    appendonly no
    save ""
    cluster-enabled yes
    cluster-node-timeout 5000
    bind * -::*
    dir /data
    daemonize no
    logfile ""
    port 6379
    cluster-config-file /data/nodes.conf

    """

private func seedSecretAndConfig(_ server: FakeKubernetesAPIServer) {
    server.seed("secrets", namespace: testNamespace, object: [
        "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "redis-auth"],
        "data": ["password": .string(Data(password.utf8).base64EncodedString())],
    ])
    server.seed("configmaps", namespace: testNamespace, object: [
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "redis-config"], "data": ["redis.conf": .string(redisConf)],
    ])
}

private struct ReadyPod: Sendable {
    var name: String
    var ip: String
    var uid: String
    var node: String
    var revisionHash: String
}

/// Waits until the StatefulSet reports `replicas` ready pods, all at the update revision, and
/// exactly those pods exist, Ready, with pod IPs.
private func waitForReady(_ server: FakeKubernetesAPIServer, _ kubelet: FakeKubelet, replicas: Int) async throws -> [ReadyPod] {
    try await poll("\(replicas) Ready pods", until: .after(.seconds(20))) {
        let status = server.object("statefulsets", namespace: testNamespace, name: "redis")?["status"] ?? .null
        let pods = server.objects("pods", namespace: testNamespace).filter { ($0["metadata"]["name"].string ?? "").hasPrefix("redis-") }
        let ready = pods.compactMap { pod -> ReadyPod? in
            let conditions = pod["status"]["conditions"].array ?? []
            guard conditions.contains(where: { $0["type"] == "Ready" && $0["status"] == "True" }),
                  let name = pod["metadata"]["name"].string, let ip = pod["status"]["podIP"].string,
                  let uid = pod["metadata"]["uid"].string, let node = pod["spec"]["nodeName"].string,
                  let hash = pod["metadata"]["labels"]["controller-revision-hash"].string
            else { return nil }
            return ReadyPod(name: name, ip: ip, uid: uid, node: node, revisionHash: hash)
        }
        let settled = status["readyReplicas"].int == replicas && status["replicas"].int == replicas
            && status["updatedReplicas"].int == replicas && status["currentRevision"] == status["updateRevision"]
        if settled, pods.count == replicas, ready.count == replicas {
            return .done(ready.sorted { $0.name < $1.name })
        }
        let logs = pods.compactMap { $0["metadata"]["name"].string }.map { "\($0): \(kubelet.logTail(namespace: testNamespace, pod: $0, lines: 3))" }
        return .notYet("status \(String(decoding: status.encodedData, as: UTF8.self)), \(ready.count)/\(pods.count) pods ready; \(logs)")
    }
}

private func connect(_ pod: ReadyPod, password: String? = password) async throws -> RedisConnection {
    try await RedisConnection.connect(to: RedisEndpoint(host: pod.ip, port: 6379), options: .init(password: password))
}

private func command(_ pod: ReadyPod, _ name: String, _ arguments: String...) async throws -> RESPValue {
    let connection = try await connect(pod)
    do {
        let reply = try await connection.send(RedisCommand(name, arguments))
        await connection.close()
        return reply
    } catch {
        await connection.close()
        throw error
    }
}

private func claimNames(_ server: FakeKubernetesAPIServer) -> [String] {
    server.objects("persistentvolumeclaims", namespace: testNamespace).compactMap { $0["metadata"]["name"].string }
}

@Suite("FakeKubelet: StatefulSets become real redis-server pods", .serialized)
struct FakeKubeletTests {
    @Test("deploy, scale, delete a pod, roll the template, delete the StatefulSet, stop")
    func lifecycle() async throws {
        try await withClient { server, client in
            let kubelet = try server.startKubelet()
            defer { kubelet.stop() }
            #expect(server.objects("nodes").map { $0["metadata"]["labels"]["topology.kubernetes.io/zone"].string } == ["zone-a", "zone-a", "zone-b"])
            seedSecretAndConfig(server)
            try await client.apply(statefulSetPath, body: statefulSet(replicas: 3))

            // Three Ready pods on their own addresses, configured from the ConfigMap and the args.
            let pods = try await waitForReady(server, kubelet, replicas: 3)
            #expect(pods.map(\.name) == ["redis-0", "redis-1", "redis-2"])
            #expect(Set(pods.map(\.ip)).count == 3)
            #expect(Set(pods.map(\.node)) == ["node-a", "node-b", "node-c"])
            for pod in pods {
                let announced = try await command(pod, "CONFIG", "GET", "cluster-announce-ip").array?.last?.string
                #expect(announced == pod.ip)
                let hostname = try await command(pod, "CONFIG", "GET", "cluster-announce-hostname").array?.last?.string
                #expect(hostname == "\(pod.name).redis-headless.\(testNamespace).svc")
                let enabled = try await command(pod, "CONFIG", "GET", "cluster-enabled").array?.last?.string
                #expect(enabled == "yes")
                let unauthenticated = try await connect(pod, password: nil)
                let reply = try? await unauthenticated.send("PING")
                await unauthenticated.close()
                #expect(reply?.string != "PONG")
            }
            #expect(claimNames(server) == ["data-redis-0", "data-redis-1", "data-redis-2"])
            let pod = try #require(server.object("pods", namespace: testNamespace, name: "redis-0"))
            #expect(pod["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet")
            #expect(pod["metadata"]["labels"]["app.kubernetes.io/name"] == "redis")

            // Scale up, then down: the highest ordinals go, their PVCs stay.
            try await client.apply(statefulSetPath, body: statefulSet(replicas: 4))
            let four = try await waitForReady(server, kubelet, replicas: 4)
            let scaledAwayPIDs = try ["redis-2", "redis-3"].map { try #require(kubelet.pid(namespace: testNamespace, pod: $0)) }
            try await client.apply(statefulSetPath, body: statefulSet(replicas: 2))
            let two = try await waitForReady(server, kubelet, replicas: 2)
            #expect(two.map(\.name) == ["redis-0", "redis-1"])
            #expect(two.map(\.ip) == Array(four.prefix(2).map(\.ip)))
            #expect(scaledAwayPIDs.allSatisfy { !kubelet.isRunning(pid: $0) })
            #expect(claimNames(server) == ["data-redis-0", "data-redis-1", "data-redis-2", "data-redis-3"])

            // A deleted pod comes back on a new address with the same data (its node ID in nodes.conf).
            let victim = two[1]
            let nodeID = try await command(victim, "CLUSTER", "MYID").string
            let victimPID = try #require(kubelet.pid(namespace: testNamespace, pod: victim.name))
            #expect(try await client.delete("\(podsPath)/\(victim.name)"))
            let recreated = try await poll("redis-1 to be recreated", until: .after(.seconds(20))) {
                let pods = try await waitForReady(server, kubelet, replicas: 2)
                return pods[1].uid != victim.uid ? .done(pods[1]) : .notYet("still the old pod")
            }
            #expect(recreated.ip != victim.ip)
            #expect(!kubelet.isRunning(pid: victimPID))
            #expect(try await command(recreated, "CLUSTER", "MYID").string == nodeID)

            // A template change rolls the pods one by one to the new revision.
            let oldRevision = server.object("statefulsets", namespace: testNamespace, name: "redis")?["status"]["updateRevision"].string
            try await client.apply(statefulSetPath, body: statefulSet(replicas: 2, annotation: "two"))
            let rolled = try await poll("the rolling update", until: .after(.seconds(20))) {
                let pods = try await waitForReady(server, kubelet, replicas: 2)
                let status = server.object("statefulsets", namespace: testNamespace, name: "redis")?["status"] ?? .null
                return status["updateRevision"].string != oldRevision ? .done(pods) : .notYet("old revision")
            }
            let status = try #require(server.object("statefulsets", namespace: testNamespace, name: "redis")?["status"])
            #expect(status["currentRevision"] == status["updateRevision"])
            #expect(status["observedGeneration"] == server.object("statefulsets", namespace: testNamespace, name: "redis")?["metadata"]["generation"])
            #expect(rolled.allSatisfy { $0.revisionHash == status["updateRevision"].string })
            #expect(Set(rolled.map(\.uid)).isDisjoint(with: [two[0].uid, recreated.uid]))

            // Deleting the StatefulSet stops its processes and deletes its pods; PVCs stay.
            let lastPIDs = kubelet.runningPIDs
            #expect(lastPIDs.count == 2)
            #expect(try await client.delete(statefulSetPath))
            try await poll("the pods to go", until: .after(.seconds(20))) {
                let left = server.objects("pods", namespace: testNamespace).count
                let running = lastPIDs.filter { kubelet.isRunning(pid: $0) }
                return left == 0 && running.isEmpty ? .done(()) : .notYet("\(left) pods, \(running) running")
            }
            #expect(claimNames(server).count == 4)

            // Stop leaves nothing running.
            try await client.apply(statefulSetPath, body: statefulSet(replicas: 1))
            _ = try await waitForReady(server, kubelet, replicas: 1)
            let finalPIDs = kubelet.runningPIDs
            #expect(finalPIDs.count == 1)
            await kubelet.shutdown()
            #expect(kubelet.runningPIDs.isEmpty)
            #expect(finalPIDs.allSatisfy { kill($0, 0) != 0 })
            #expect(!FileManager.default.fileExists(atPath: kubelet.directory.path))
        }
    }

    @Test("with recreatedPodAddress .same, a deleted pod comes back on its old address")
    func sameAddress() async throws {
        try await withClient { server, client in
            var options = FakeKubeletOptions()
            options.recreatedPodAddress = .same
            let kubelet = try server.startKubelet(options)
            defer { kubelet.stop() }
            seedSecretAndConfig(server)
            try await client.apply(statefulSetPath, body: statefulSet(replicas: 1))
            let before = try await waitForReady(server, kubelet, replicas: 1)[0]
            #expect(try await client.delete("\(podsPath)/redis-0"))
            let after = try await poll("redis-0 to be recreated", until: .after(.seconds(20))) {
                let pod = try await waitForReady(server, kubelet, replicas: 1)[0]
                return pod.uid != before.uid ? .done(pod) : .notYet("still the old pod")
            }
            #expect(after.ip == before.ip)
            #expect(try await command(after, "PING").string == "PONG")
            await kubelet.shutdown()
        }
    }
}
