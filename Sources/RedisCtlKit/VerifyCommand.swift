import ClusterOps
import Platforms
import RESP
import RedisCtlCore

/// `verify`: every check of the deployment's success criteria; exit 1 when one fails.
public struct VerifyCommand: Sendable {
    public var writeTest: Bool

    public init(writeTest: Bool = false) { self.writeTest = writeTest }

    public func run(_ context: CommandContext) async throws -> Int32 {
        // --timeout bounds the whole check: a node that never answers is reported, not waited for.
        let deadline = context.deadline()
        return try await DeploymentTarget.with(context, nodes: .insteadOfPlatform) { target in
            let report = try await report(target: target, nodes: try await target.nodes(), deadline: deadline)
            try context.emit(VerifyResult(report: report))
            return report.healthy ? 0 : 1
        }
    }

    /// `deadline` bounds every connection of the check (nil: each wait by the command timeout alone).
    func report(target: DeploymentTarget, nodes: [PodEndpoint], deadline: Deadline? = nil) async throws -> HealthReport {
        let spec = target.deployment.spec
        let probe = HealthProbe(connector: try await target.connector(deadline: deadline))
        let observations = await probe.observe(nodes.map {
            ProbeTarget(name: $0.name, endpoint: $0.endpoint, failureDomain: $0.failureDomain)
        })
        // Nothing answered at all: there is no cluster to judge (exit 2, per the contract).
        if !observations.contains(where: \.isReachable) {
            let reasons = observations.compactMap { observation -> String? in
                switch observation.reachability {
                case .reachable: nil
                // A node given by its address already leads its reason.
                case .unreachable(let reason), .authenticationFailed(let reason):
                    reason.hasPrefix("\(observation.name):") ? reason : "\(observation.name): \(reason)"
                }
            }
            let authRefused = observations.contains {
                if case .authenticationFailed = $0.reachability { true } else { false }
            }
            throw GeneralFailure(.cannotRun, authRefused
                ? "authentication refused by every node (\(reasons.first ?? "")); check the password"
                : "no node reachable (\(reasons.first ?? "no nodes"))")
        }
        let expectations = ClusterExpectations(
            replicasPerMaster: spec.replicasPerMaster, appendonly: spec.redis.appendonly,
            rdbEnabled: !spec.redis.save.isEmpty,
            expectedNodeCount: target.settings.nodes?.count ?? spec.redisPodCount)
        var report = HealthEvaluator.evaluate(cluster: target.clusterName, observations: observations,
                                              expectations: expectations)
        if writeTest {
            let topology = observations.compactMap(\.topology).first
            let masters: [(name: String, endpoint: RedisEndpoint, slots: [SlotRange])] =
                (topology?.masters ?? []).filter { !$0.slots.isEmpty && !$0.isFailed }.map { master in
                    let name = observations.first { $0.host == master.host && $0.port == master.port }?.name ?? master.address
                    return (name, RedisEndpoint(host: master.host, port: master.port), master.slots)
                }
            report = HealthReport(cluster: report.cluster, checks: report.checks + [await probe.writeTest(masters: masters)],
                                  nodes: report.nodes)
        }
        return report
    }
}

struct VerifyResult: CommandResult, Decodable {
    let report: HealthReport

    init(report: HealthReport) { self.report = report }
    init(from decoder: any Decoder) throws { report = try HealthReport(from: decoder) }
    func encode(to encoder: any Encoder) throws { try report.encode(to: encoder) }

    var text: String {
        let checks = TextTable.render(
            header: ["CHECK", "STATUS", "DETAIL"],
            rows: report.checks.map { [$0.name, $0.status.rawValue.uppercased(), $0.message] })
        let nodes = TextTable.render(
            header: ["NODE", "ADDRESS", "ROLE", "SLOTS", "LINK", "MEMORY", "ID"],
            rows: report.nodes.map { node in
                [node.name, node.address, node.role ?? "-", String(node.slots), node.linkStatus ?? "-",
                 node.usedMemoryRatio.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
                 node.id.map { String($0.prefix(12)) } ?? "-"]
            })
        let verdict = report.healthy ? "cluster \(report.cluster) is healthy"
                                     : "cluster \(report.cluster) is NOT healthy"
        return [checks, "", nodes, "", verdict].joined(separator: "\n")
    }
}
