import ClusterOps
import Platforms
import RESP
import RedisCtlCore

/// `scale` changes the cluster's size without touching the spec file, so the running cluster is
/// the record of its size: `deploy` and `verify` take masters and replicas per master from it when
/// it differs from the spec (and say so), and a deploy with the unchanged spec never undoes a scale.
struct LiveShape: Equatable {
    var masters: Int
    var replicasPerMaster: Int
    /// Each master owns exactly one of init-cluster's ranges for this many masters.
    var hasInitialLayout: Bool

    /// From the first pod that answers: masters serving slots, and every other node it knows (failed
    /// ones included, so a dead replica does not look like a smaller cluster) spread over them.
    static func read(pods: [PodEndpoint], connector: NodeConnector) async -> LiveShape? {
        for pod in pods {
            guard let connection = try? await connector.connect(pod.endpoint) else { continue }
            let reply = try? await connection.send(RedisCommand("CLUSTER", "NODES"))
            await connection.close()
            guard let text = reply?.string, let topology = try? ClusterTopology.parse(text) else { continue }
            let masters = topology.nodes.filter { $0.isMaster && !$0.slots.isEmpty }
            guard !masters.isEmpty, topology.assignedSlotCount == SlotRange.slotCount else { return nil }
            let others = topology.nodes.count - masters.count
            guard others % masters.count == 0 else { return nil }
            let initial = Set(ClusterLayout.slotRanges(masters: masters.count))
            let layout = masters.allSatisfy { $0.slots.count == 1 && initial.contains($0.slots[0]) }
            return LiveShape(masters: masters.count, replicasPerMaster: others / masters.count, hasInitialLayout: layout)
        }
        return nil
    }
}

extension DeploymentTarget {
    /// This target with the running cluster's size when a scale changed it from the spec's.
    func adoptingLiveShape(progress: any ProgressReporter) async -> (DeploymentTarget, LiveShape?) {
        guard settings.nodes == nil, let pods = try? await platform.pods(), !pods.isEmpty,
              let connector = try? await connector(),
              let live = await LiveShape.read(pods: pods, connector: connector) else { return (self, nil) }
        let spec = deployment.spec
        guard live.masters != spec.masters || live.replicasPerMaster != spec.replicasPerMaster else { return (self, live) }
        progress.warning("cluster \(clusterName) runs \(live.masters) masters x \(live.replicasPerMaster) replica(s) "
                         + "(changed by scale); the spec says \(spec.masters) x \(spec.replicasPerMaster): keeping the "
                         + "running size. Use redisctl scale to change it, and update the spec to match")
        var adopted = deployment
        adopted.spec.masters = live.masters
        adopted.spec.replicasPerMaster = live.replicasPerMaster
        return (DeploymentTarget(deployment: adopted, platform: platform, settings: settings, environment: environment), live)
    }
}
