import ClusterOps
import Platforms
import RESP
import RedisCtlCore
import Spec

/// Whether a command works with the spec the cluster was deployed with.
enum DeployedSpecUse: Sendable {
    /// Every command on a deployed cluster: the recorded spec, or at least its size.
    case adopt
    /// `destroy` needs only names, and must work even where the record is damaged.
    case ignore
}

extension DeploymentTarget {
    /// The spec a command on a deployed cluster works with. Without a spec file, the one the platform
    /// recorded at its last apply or resize; with one, that file, at the recorded size (which only
    /// `scale` changes; a differing size in the file is named). A cluster with no record (deployed by a
    /// redisctl that kept none) tells its size itself. A record or a cluster that cannot be read fails
    /// the command: the size is never guessed, since applying a smaller one would remove pods.
    func adoptingDeployedSpec(progress: any ProgressReporter) async throws -> DeploymentTarget {
        if usesExplicitNodes { return self }
        var target = self
        if let recorded = try await platform.deployedSpec() {
            target.deployed = recorded
            guard specFile != nil else {
                target.deployment.spec = recorded.spec
                return target
            }
            return target.keeping(masters: recorded.spec.masters, replicasPerMaster: recorded.spec.replicasPerMaster,
                                  progress: progress)
        }
        let pods = try await platform.pods()
        guard !pods.isEmpty, let live = try await LiveShape.read(pods: pods, connector: try await connector()) else {
            return self
        }
        return keeping(masters: live.masters, replicasPerMaster: live.replicasPerMaster, progress: progress)
    }

    /// This target at the cluster's own size, saying so when the spec asks for another.
    private func keeping(masters: Int, replicasPerMaster: Int, progress: any ProgressReporter) -> DeploymentTarget {
        let spec = deployment.spec
        guard masters != spec.masters || replicasPerMaster != spec.replicasPerMaster else { return self }
        progress.warning("cluster \(clusterName) runs \(masters) masters x \(replicasPerMaster) replica(s) "
                         + "(changed by scale); the spec says \(spec.masters) x \(spec.replicasPerMaster): keeping the "
                         + "running size. Use redisctl scale to change it, and update the spec to match")
        var adopted = self
        adopted.deployment.spec.masters = masters
        adopted.deployment.spec.replicasPerMaster = replicasPerMaster
        return adopted
    }
}

/// The size of a formed cluster, as its nodes report it.
struct LiveShape: Equatable {
    var masters: Int
    var replicasPerMaster: Int
    /// Each master owns exactly one of init-cluster's ranges for this many masters.
    var hasInitialLayout: Bool

    /// From the first pod that answers: masters serving slots, and every other node it knows (failed
    /// ones included, so a dead replica does not look like a smaller cluster) spread over them. Nil
    /// while the cluster is not formed (some slot unassigned); fails when no pod answers.
    static func read(pods: [PodEndpoint], connector: NodeConnector) async throws -> LiveShape? {
        let topology = try await withNodeConnectionPool(connector) { pool in
            try await pool.topology(fromFirstOf: pods.map(\.endpoint))
        }
        return of(topology)
    }

    static func of(_ topology: ClusterTopology) -> LiveShape? {
        let masters = topology.nodes.filter { $0.isMaster && !$0.slots.isEmpty }
        guard !masters.isEmpty, topology.assignedSlotCount == SlotRange.slotCount else { return nil }
        let others = topology.nodes.count - masters.count
        guard others % masters.count == 0 else { return nil }
        let initial = Set(ClusterLayout.slotRanges(masters: masters.count))
        let layout = masters.allSatisfy { $0.slots.count == 1 && initial.contains($0.slots[0]) }
        return LiveShape(masters: masters.count, replicasPerMaster: others / masters.count, hasInitialLayout: layout)
    }
}
