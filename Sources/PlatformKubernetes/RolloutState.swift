/// How far the Redis StatefulSet is from running `wanted` ready pods on the revision they should
/// run. Pure, so each case is unit-tested; the platform polls it.
enum RolloutState: Equatable, Sendable {
    case complete
    /// What is still missing, in one line.
    case waiting(String)

    /// Pods below the StatefulSet's partition keep their revision until `restart` moves them on.
    static func of(_ statefulSet: StatefulSetView?, pods: [PodView], wanted: Int, statefulSetName: String) -> RolloutState {
        guard let statefulSet else { return .waiting("StatefulSet \(statefulSetName) does not exist") }
        let ready = pods.filter(\.isReady)
        let rolledOut = statefulSet.isObserved
            && !pods.contains { $0.ordinal >= statefulSet.partition && $0.revision != statefulSet.updateRevision }
        if rolledOut, ready.count >= wanted, pods.count >= wanted { return .complete }
        let notReady = pods.filter { !$0.isReady }.map(\.notReadyReason)
        let missing = wanted > pods.count ? ["\(wanted - pods.count) pod(s) not created yet"] : []
        let rollout = rolledOut ? [] : ["rollout in progress (revision \(statefulSet.updateRevision ?? "?"))"]
        return .waiting("\(ready.count)/\(wanted) ready; " + (notReady + missing + rollout).joined(separator: "; "))
    }

    /// One pod that `restart` had recreated: complete once it runs the update revision and is ready.
    static func ofRestarted(_ pod: PodView?, name: String, updateRevision: String?) -> RolloutState {
        guard let updateRevision, let pod else { return .waiting("\(name) not recreated yet") }
        guard pod.revision == updateRevision else { return .waiting("\(name) still runs revision \(pod.revision ?? "?")") }
        return pod.isReady ? .complete : .waiting(pod.notReadyReason)
    }
}
