import ClusterOps
import Platforms
import RedisCtlCore

/// The check below every platform apply and resize: a pod goes only when Redis itself says it owns
/// no slots and holds no keys. A pod that cannot be asked is not removed either.
struct DataHoldingPodGuard: PodRemovalGuard {
    /// Made only when there are pods to check: a first deploy has no password to read yet.
    let connector: @Sendable (Deadline) async throws -> NodeConnector
    /// Cluster nodes own slots; a Sentinel group's nodes only hold keys.
    let checksSlots: Bool
    let progress: any ProgressReporter

    func ensureRemovable(_ pods: [PodEndpoint], deadline: Deadline) async throws {
        guard !pods.isEmpty else { return }
        let connector = try await connector(deadline)
        let findings = try await withNodeConnectionPool(connector) { pool in
            let membership = ClusterMembership(pool: pool, progress: progress)
            var findings: [String] = []
            for pod in pods {
                if let finding = await dataHeld(by: pod, membership: membership) { findings.append(finding) }
            }
            return findings
        }
        guard findings.isEmpty else {
            throw GeneralFailure(.operationFailed,
                "refusing to remove pods that may hold data: \(findings.joined(separator: "; ")); nothing was changed. "
                + "Move their slots and keys off with redisctl scale (or fix the spec's size), then try again")
        }
    }

    /// "redis-cluster-6 owns 5461 slots and holds 120 keys", or nil when the pod holds nothing.
    private func dataHeld(by pod: PodEndpoint, membership: ClusterMembership) async -> String? {
        let member = MemberAddress(name: pod.name, endpoint: pod.endpoint)
        do {
            var held: [String] = []
            if checksSlots, let slots = try await membership.topology(member).myself?.slotCount, slots > 0 {
                held.append("owns \(slots) slots")
            }
            let keys = try await membership.keyCount(member)
            if keys > 0 { held.append("holds \(keys) keys") }
            return held.isEmpty ? nil : "\(pod.name) \(held.joined(separator: " and "))"
        } catch {
            return "\(pod.name) cannot be checked (\(error))"
        }
    }
}

extension DeploymentTarget {
    /// The guard every apply and resize of this target passes.
    func removalGuard(progress: any ProgressReporter) -> DataHoldingPodGuard {
        let target = self
        return DataHoldingPodGuard(connector: { deadline in try await target.connector(deadline: deadline) },
                                   checksSlots: deployment.spec.topology == .cluster, progress: progress)
    }
}
