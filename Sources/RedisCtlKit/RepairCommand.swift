import ClusterOps
import Platforms
import RESP
import RedisCtlCore

/// `repair [--dry-run]`: brings a cluster back to a sound state on demand. Closes open slots,
/// gives uncovered slots to the node holding their keys, refreshes peers' stale addresses, moves a
/// spare replica to a master that has none, and swaps replicas that share their master's failure
/// domain. Each phase runs, then the cluster is read again for the next; a run cut short is
/// completed by running it again.
public struct RepairCommand: Sendable {
    public var dryRun: Bool

    public init(dryRun: Bool = false) { self.dryRun = dryRun }

    /// Phases run at most this often: each fixes what the one before left for it.
    static let maximumRounds = 6

    public func run(_ context: CommandContext) async throws -> Int32 {
        try await DeploymentTarget.with(context) { target in
            let deadline = context.deadline()
            let progress = context.progress
            let connector = try await target.connector(deadline: deadline)
            // A node that does not answer could hold the keys of an uncovered slot or the only copy
            // of a shard: nothing is decided without it.
            let pods = try await target.podsAllAnswering(connector, toChange: "answer for repair to read the whole cluster")
            let nodes = pods.map { (address: MemberAddress(name: $0.name, endpoint: $0.endpoint), failureDomain: $0.layoutCandidate.failureDomain) }
            let replicasPerMaster = target.deployment.spec.replicasPerMaster
            let repair = ClusterRepair(connector: connector, progress: progress)

            return try await withNodeConnectionPool(connector) { pool in
                var done: [RepairStep] = []
                var plan = RepairPlan(steps: [], unfixable: [])
                for _ in 0..<Self.maximumRounds {
                    let members = try await repair.read(nodes, pool: pool)
                    plan = RepairPlanner.plan(members: members, keysInUncoveredSlots: try await repair.keysInUncoveredSlots(members, pool: pool),
                                              replicasPerMaster: replicasPerMaster)
                    if dryRun {
                        for step in plan.steps { progress.step("would \(step.description)") }
                        break
                    }
                    guard let phase = plan.steps.map(\.phase).min() else { break }
                    let steps = plan.steps.filter { $0.phase == phase }
                    try await repair.run(steps, members: members, pool: pool, deadline: deadline)
                    done += steps
                    try await ClusterConvergence(pool: pool).wait(
                        for: nodes.map(\.address), goal: .agreement, what: "every node to agree after \(steps[0].kind)", deadline: deadline)
                }
                let planned = dryRun ? plan.steps : done
                var result = RepairResult(cluster: target.clusterName, dryRun: dryRun, steps: planned.map(RepairResult.Step.init),
                                          remaining: plan.unfixable + (dryRun ? [] : plan.steps.map(\.description)))
                if !dryRun {
                    if !done.isEmpty, result.remaining.isEmpty {
                        try await ClusterMembership(pool: pool, progress: progress)
                            .waitUntilSettled(nodes.map(\.address), deadline: deadline, what: "the repaired cluster to serve every slot")
                    }
                    let report = try await VerifyCommand().report(target: target, nodes: pods, deadline: deadline)
                    if target.settings.nodes == nil {
                        _ = try await ShardDisruptionBudgets.keep(target: target, report: report, progress: progress)
                    }
                    result.verify = report
                }
                try context.emit(result)
                return result.remaining.isEmpty ? 0 : 1
            }
        }
    }
}

struct RepairResult: CommandResult, Codable {
    struct Step: Codable {
        let step: String
        let description: String

        init(_ step: RepairStep) {
            self.step = step.kind
            self.description = step.description
        }
    }

    let cluster: String
    let dryRun: Bool
    /// What was done, or with `--dry-run` what would be.
    let steps: [Step]
    /// What no step fixes, or is left after the last round: exit 1 when not empty.
    var remaining: [String]
    var verify: HealthReport?

    var text: String {
        var lines: [String] = []
        if steps.isEmpty {
            lines.append("\(cluster): nothing to repair")
        } else {
            lines.append("\(cluster): \(dryRun ? "would run" : "ran") \(steps.count) step(s)")
            lines += steps.map { "  \($0.step): \($0.description)" }
        }
        if !remaining.isEmpty { lines += ["left to do:"] + remaining.map { "  \($0)" } }
        if let verify { lines += ["", VerifyResult(report: verify).text] }
        return lines.joined(separator: "\n")
    }
}
