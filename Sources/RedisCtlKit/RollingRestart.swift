import ClusterOps
import Platforms
import RESP
import RedisCtlCore

/// Restarts the pods whose configuration changed, one at a time, with the cluster serving every
/// slot throughout: a master hands its role to a replica first and takes it back once it has
/// rejoined and synced, and the next pod waits until `verify` is healthy again.
struct RollingRestart {
    let target: DeploymentTarget
    let progress: any ProgressReporter

    /// Returns the names of the pods restarted, in order.
    func run(deadline: Deadline) async throws -> [String] {
        try await withNodeConnectionPool(try await target.connector(deadline: deadline)) { pool in
            try await run(failover: ManualFailover(pool: pool), deadline: deadline)
        }
    }

    private func run(failover: ManualFailover, deadline: Deadline) async throws -> [String] {
        let platform = target.platform
        var restarted: [String] = []
        var remaining = try await platform.podsAwaitingRestart()
        let total = remaining.count
        if total > 0 { progress.step("rolling restart of \(total) pod(s) onto the new configuration") }
        while let pod = remaining.first {
            guard !restarted.contains(pod.name) else {
                throw GeneralFailure(.operationFailed,
                    "\(pod.name) still runs the old configuration after its restart; check its events and logs")
            }
            let step = "\(restarted.count + 1)/\(total)"
            let (myself, topology) = try await failover.describe(pod.endpoint)
            var handedTo: ClusterNode?
            if myself.isMaster, myself.slotCount > 0 {
                if let successor = ManualFailover.successor(of: myself, in: topology) {
                    progress.step("\(step) \(pod.name): master; handing its slots to \(successor.displayName)")
                    try await failover.promote(endpoint(of: successor), name: successor.displayName, deadline: deadline)
                    handedTo = successor
                } else {
                    progress.warning("\(pod.name) is a master without a healthy replica: its \(myself.slotCount) slots "
                                     + "are unavailable while it restarts")
                }
            }
            progress.step("\(step) \(pod.name): restarting")
            let back = try await platform.restart(pod, of: target.deployment, deadline: deadline)
            try await waitUntilHealthy(after: pod.name, deadline: deadline)
            if handedTo != nil {
                progress.step("\(step) \(pod.name): taking its master role back")
                try await failover.promote(back.endpoint, name: pod.name, deadline: deadline)
                try await waitUntilHealthy(after: pod.name, deadline: deadline)
            }
            restarted.append(pod.name)
            remaining = try await platform.podsAwaitingRestart()
        }
        return restarted
    }

    private func endpoint(of node: ClusterNode) -> RedisEndpoint {
        RedisEndpoint(host: node.host, port: node.port)
    }

    /// Polls `verify` until every check passes: the restarted node is back, known to all,
    /// its replication link is up and every slot is served.
    private func waitUntilHealthy(after podName: String, deadline: Deadline) async throws {
        try await poll("the cluster to be healthy after restarting \(podName)", until: deadline,
                       initialInterval: .milliseconds(200), maxInterval: .seconds(2)) { () async -> PollOutcome<Void> in
            do {
                let pods = try await target.platform.pods()
                let report = try await VerifyCommand().report(target: target, nodes: pods)
                if report.healthy {
                    progress.detail("cluster healthy after restarting \(podName)")
                    return .done(())
                }
                let failing = report.checks.filter { $0.status == .fail }.map { "\($0.name): \($0.message)" }
                return .notYet(failing.joined(separator: "; "))
            } catch {
                return .notYet("\(error)")
            }
        }
    }
}
