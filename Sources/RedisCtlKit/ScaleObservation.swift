import ClusterOps
import Platforms
import RESP
import RedisCtlCore

/// The pods and what each says about the cluster, read fresh before every phase of a scale so the
/// plan always follows the cluster's own state (which is what makes an interrupted scale resumable).
struct ScaleObservation {
    struct Pod {
        let pod: PodEndpoint
        let topology: ClusterTopology
        var myself: ClusterNode? { topology.myself }
        var address: MemberAddress { MemberAddress(name: pod.name, endpoint: pod.endpoint) }
    }

    let pods: [Pod]

    static func read(_ pods: [PodEndpoint], membership: ClusterMembership) async throws -> ScaleObservation {
        var observed: [Pod] = []
        for pod in pods.sorted(by: { $0.ordinal < $1.ordinal }) {
            do {
                observed.append(Pod(pod: pod, topology: try await membership.topology(
                    MemberAddress(name: pod.name, endpoint: pod.endpoint))))
            } catch let failure as any RedisCtlFailure where failure.category == .cannotRun {
                // Refused authentication (the only reading failure that cannot run): exit 2.
                throw GeneralFailure(.cannotRun, "\(pod.name) (\(pod.endpoint)): \(failure.message); check the password")
            } catch {
                throw GeneralFailure(.operationFailed,
                    "\(pod.name) (\(pod.endpoint)) does not answer (\(membership.reason(error))); scale needs every pod up: check it, then run scale again")
            }
        }
        return ScaleObservation(pods: observed)
    }

    /// The pod whose node has this id.
    var nameById: [String: String] {
        Dictionary(pods.compactMap { pod in pod.myself.map { ($0.id, pod.pod.name) } }, uniquingKeysWith: { first, _ in first })
    }

    var idByName: [String: String] {
        Dictionary(pods.compactMap { pod in pod.myself.map { (pod.pod.name, $0.id) } }, uniquingKeysWith: { first, _ in first })
    }

    func pod(named name: String) -> Pod? { pods.first { $0.pod.name == name } }

    /// A master that serves slots and sees the cluster: where introductions come from.
    var anchor: Pod? {
        pods.filter { ($0.myself?.isMaster ?? false) && !($0.myself?.slots.isEmpty ?? true) }
            .max { $0.topology.nodes.count < $1.topology.nodes.count }
    }

    /// Ids the cluster knows (from the anchor's view).
    var clusterIds: Set<String> { Set(anchor?.topology.nodes.map(\.id) ?? []) }

    /// Every pod's role for the planner. A node that knows no one and owns nothing is fresh.
    var members: [ScaleMember] {
        let names = nameById
        let known = clusterIds
        return pods.map { pod in
            let role: ScaleMember.Role
            if let myself = pod.myself, known.contains(myself.id) {
                role = myself.isReplica ? .replica(of: myself.masterId.flatMap { names[$0] }) : .master(slots: myself.slots)
            } else {
                role = .fresh
            }
            return ScaleMember(candidate: pod.pod.layoutCandidate, ordinal: pod.pod.ordinal, role: role)
        }
    }

    /// Masters as they see themselves, for open-slot recovery.
    var masterViews: [ClusterNode] {
        let known = clusterIds
        return pods.compactMap(\.myself).filter { $0.isMaster && known.contains($0.id) }
    }

    /// Master id -> address, for the migration engine.
    var masterEndpoints: [String: RedisEndpoint] {
        Dictionary(masterViews.compactMap { master in
            pods.first { $0.myself?.id == master.id }.map { (master.id, $0.pod.endpoint) }
        }, uniquingKeysWith: { first, _ in first })
    }

    /// Masters currently serving slots, and replicas per master (rounded down).
    var shape: (masters: Int, replicasPerMaster: Int) {
        guard let topology = anchor?.topology else { return (0, 0) }
        let masters = topology.nodes.filter { $0.isMaster && !$0.slots.isEmpty }.count
        guard masters > 0 else { return (0, 0) }
        return (masters, (topology.nodes.count - masters) / masters)
    }
}
