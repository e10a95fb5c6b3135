import Kubernetes
import Platforms

/// The fields of a Pod the platform reads, decoded once from the API server's JSON.
struct PodView: Decodable, Sendable, Equatable {
    struct Metadata: Decodable, Sendable, Equatable {
        var name: String
        var labels: [String: String]?
    }

    struct Spec: Decodable, Sendable, Equatable {
        var nodeName: String?
    }

    struct Condition: Decodable, Sendable, Equatable {
        var type: String
        var status: String
        var reason: String?
        var message: String?
    }

    struct Status: Decodable, Sendable, Equatable {
        var podIP: String?
        var phase: String?
        var conditions: [Condition]?
    }

    var metadata: Metadata
    var spec: Spec?
    var status: Status?

    var name: String { metadata.name }

    /// The StatefulSet ordinal, from the name's last `-` part (`Int.max` when there is none).
    var ordinal: Int { name.split(separator: "-").last.flatMap { Int($0) } ?? Int.max }

    /// The StatefulSet revision the pod was created from.
    var revision: String? { metadata.labels?["controller-revision-hash"] }

    var podIP: String? { status?.podIP.flatMap { $0.isEmpty ? nil : $0 } }

    var isReady: Bool { readyCondition?.status == "True" }

    /// "redis-cluster-3: ContainersNotReady (containers with unready status: [redis])".
    var notReadyReason: String {
        let reason = [readyCondition?.reason, readyCondition?.message].compactMap { $0 }.joined(separator: " ")
        return reason.isEmpty ? "\(name): \(status?.phase ?? "Pending")" : "\(name): \(reason)"
    }

    private var readyCondition: Condition? { status?.conditions?.first { $0.type == "Ready" } }
}

/// The fields of a StatefulSet that say how far its rollout is.
struct StatefulSetView: Decodable, Sendable, Equatable {
    struct Metadata: Decodable, Sendable, Equatable {
        var generation: Int?
        var annotations: [String: String]?
    }

    struct Spec: Decodable, Sendable, Equatable {
        struct UpdateStrategy: Decodable, Sendable, Equatable {
            struct RollingUpdate: Decodable, Sendable, Equatable { var partition: Int? }
            var rollingUpdate: RollingUpdate?
        }
        var updateStrategy: UpdateStrategy?
    }

    struct Status: Decodable, Sendable, Equatable {
        var observedGeneration: Int?
        var updateRevision: String?
    }

    var metadata: Metadata
    var spec: Spec?
    var status: Status?

    var partition: Int { spec?.updateStrategy?.rollingUpdate?.partition ?? 0 }
    var updateRevision: String? { status?.updateRevision }
    /// The controller has seen the latest change of the spec.
    var isObserved: Bool { (status?.observedGeneration ?? 0) >= (metadata.generation ?? 0) }
}

/// The fields of an Event that name what happened to a pod.
struct EventView: Decodable, Sendable, Equatable {
    struct InvolvedObject: Decodable, Sendable, Equatable {
        var kind: String?
        var name: String?
    }

    struct Metadata: Decodable, Sendable, Equatable {
        var creationTimestamp: String?
    }

    var involvedObject: InvolvedObject?
    var reason: String?
    var message: String?
    var lastTimestamp: String?
    var eventTime: String?
    var metadata: Metadata?

    /// RFC 3339 UTC: such timestamps sort as strings.
    var time: String { lastTimestamp ?? eventTime ?? metadata?.creationTimestamp ?? "" }
}
