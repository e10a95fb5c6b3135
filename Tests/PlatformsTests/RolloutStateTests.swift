import Kubernetes
import Testing
@testable import PlatformKubernetes

/// The pure rollout predicate of the Kubernetes platform: the server's objects decoded into read
/// models, and every way a rollout can be unfinished.
@Suite struct RolloutStateTests {
    static func pod(_ ordinal: Int, revision: String = "r2", ready: Bool = true, reason: String? = nil) throws -> PodView {
        let json: KubeJSON = [
            "metadata": ["name": .string("redis-cluster-\(ordinal)"), "labels": ["controller-revision-hash": .string(revision)]],
            "spec": ["nodeName": "node-a"],
            "status": [
                "podIP": .string("10.0.0.\(ordinal + 1)"), "phase": "Running",
                "conditions": [["type": "Ready", "status": ready ? "True" : "False", "reason": reason.map(KubeJSON.string) ?? .null]],
            ],
        ]
        return try json.decode(PodView.self, what: "a Pod")
    }

    static func statefulSet(generation: Int = 2, observed: Int = 2, partition: Int? = nil, revision: String = "r2") throws -> StatefulSetView {
        let json: KubeJSON = [
            "metadata": ["generation": .integer(generation)],
            "spec": ["updateStrategy": ["rollingUpdate": ["partition": partition.map(KubeJSON.integer) ?? .null]]],
            "status": ["observedGeneration": .integer(observed), "updateRevision": .string(revision)],
        ]
        return try json.decode(StatefulSetView.self, what: "a StatefulSet")
    }

    @Test func readModelsDecodeWhatTheServerSends() throws {
        let pod = try Self.pod(3, ready: false, reason: "ContainersNotReady")
        #expect(pod.name == "redis-cluster-3" && pod.ordinal == 3 && pod.revision == "r2" && pod.podIP == "10.0.0.4")
        #expect(!pod.isReady && pod.notReadyReason == "redis-cluster-3: ContainersNotReady")
        #expect(try Self.statefulSet(partition: 4).partition == 4)
        // A Pod without a name is not a Pod: the read fails, naming what was read.
        let nameless: KubeJSON = ["metadata": ["labels": [:]]]
        let error = try #require(throws: KubernetesReadError.self) { try nameless.decode(PodView.self, what: "a Pod") }
        #expect(error.message.hasPrefix("the API server sent a Pod that cannot be read"))
    }

    @Test func completeOnlyWhenEveryPodIsThereReadyAndOnTheUpdateRevision() throws {
        let pods = try (0..<3).map { try Self.pod($0) }
        #expect(RolloutState.of(try Self.statefulSet(), pods: pods, wanted: 3, statefulSetName: "s") == .complete)
        #expect(RolloutState.of(nil, pods: pods, wanted: 3, statefulSetName: "ns/s") == .waiting("StatefulSet ns/s does not exist"))
        #expect(RolloutState.of(try Self.statefulSet(), pods: Array(pods.prefix(2)), wanted: 3, statefulSetName: "s")
            == .waiting("2/3 ready; 1 pod(s) not created yet"))
        let notReady = [pods[0], pods[1], try Self.pod(2, ready: false, reason: "BackOff")]
        #expect(RolloutState.of(try Self.statefulSet(), pods: notReady, wanted: 3, statefulSetName: "s")
            == .waiting("2/3 ready; redis-cluster-2: BackOff"))
        // The controller has not seen the change yet.
        #expect(RolloutState.of(try Self.statefulSet(generation: 3, observed: 2), pods: pods, wanted: 3, statefulSetName: "s")
            == .waiting("3/3 ready; rollout in progress (revision r2)"))
    }

    @Test func podsBelowThePartitionMayKeepTheirRevision() throws {
        let pods = [try Self.pod(0, revision: "r1"), try Self.pod(1, revision: "r1"), try Self.pod(2)]
        #expect(RolloutState.of(try Self.statefulSet(partition: 2), pods: pods, wanted: 3, statefulSetName: "s") == .complete)
        #expect(RolloutState.of(try Self.statefulSet(partition: 1), pods: pods, wanted: 3, statefulSetName: "s")
            == .waiting("3/3 ready; rollout in progress (revision r2)"))
    }

    @Test func aRestartedPodIsDoneOnTheNewRevisionAndReady() throws {
        #expect(RolloutState.ofRestarted(nil, name: "p", updateRevision: "r2") == .waiting("p not recreated yet"))
        #expect(RolloutState.ofRestarted(try Self.pod(1, revision: "r1"), name: "redis-cluster-1", updateRevision: "r2")
            == .waiting("redis-cluster-1 still runs revision r1"))
        #expect(RolloutState.ofRestarted(try Self.pod(1, ready: false), name: "redis-cluster-1", updateRevision: "r2")
            == .waiting("redis-cluster-1: Running"))
        #expect(RolloutState.ofRestarted(try Self.pod(1), name: "redis-cluster-1", updateRevision: "r2") == .complete)
    }
}
