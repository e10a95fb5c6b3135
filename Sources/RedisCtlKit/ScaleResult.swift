import ClusterOps
import Foundation

/// What `scale` did (or, with `--dry-run`, would do): the JSON of `-o json`, as plain data built
/// from the plan once, so the same type reads it back.
struct ScaleResult: CommandResult, Codable {
    struct Shape: Codable, Equatable {
        let masters: Int
        let replicasPerMaster: Int
        let pods: Int
    }

    struct Move: Codable, Equatable {
        let from: String
        let to: String
        let slots: Int
        let ranges: String
    }

    let cluster: String
    let platform: String
    let dryRun: Bool
    let from: Shape
    let to: Shape
    let addPods: [String]
    let removePods: [String]
    let failovers: [String]
    let newMasters: [String]
    let replicas: [ReplicaAssignment]
    let demoted: [ReplicaAssignment]
    let moves: [Move]
    let plannedSlots: Int
    let openSlots: [String]
    /// What the run did; absent from a dry run.
    private(set) var movedSlots: Int?
    private(set) var movedKeys: Int?
    private(set) var keysPerSecond: Int?
    private(set) var migrationSeconds: Double?
    private(set) var elapsedSeconds: Double?
    private(set) var verify: HealthReport?
    private(set) var healthy: Bool?

    init(cluster: String, platform: String, from: Shape, to: Shape, plan: ScalePlan, openSlots: [String], dryRun: Bool) {
        self.cluster = cluster
        self.platform = platform
        self.dryRun = dryRun
        self.from = from
        self.to = to
        addPods = plan.addedPods
        removePods = plan.leaving
        failovers = plan.failovers
        newMasters = plan.finalMasters
        replicas = plan.replicas
        demoted = plan.demoted
        moves = plan.rebalance.transfers.map { Move(from: $0.source, to: $0.target, slots: $0.slots.count,
                                                    ranges: SlotRange.describe($0.ranges)) }
        plannedSlots = plan.rebalance.movedSlotCount
        self.openSlots = openSlots
        if !dryRun { recordMigration(slots: 0, keys: 0, seconds: 0) }
    }

    mutating func recordMigration(slots: Int, keys: Int, seconds: Double) {
        movedSlots = slots
        movedKeys = keys
        keysPerSecond = seconds > 0 ? Int(exactly: (Double(keys) / seconds).rounded(.down)) ?? 0 : 0
        migrationSeconds = (seconds * 1000).rounded() / 1000
    }

    mutating func finish(verify report: HealthReport, elapsedSeconds seconds: Double) {
        verify = report
        healthy = report.healthy
        elapsedSeconds = (seconds * 1000).rounded() / 1000
    }

    var text: String {
        var lines: [String] = []
        let head = "\(from.masters) masters x \(from.replicasPerMaster) replica(s) (\(from.pods) pods) -> "
            + "\(to.masters) masters x \(to.replicasPerMaster) replica(s) (\(to.pods) pods)"
        lines.append(dryRun ? "plan for cluster \(cluster) (dry run, nothing changed): \(head)" : "cluster \(cluster) scaled: \(head)")
        if !openSlots.isEmpty { lines.append("slots left open by an interrupted run: " + openSlots.joined(separator: "; ")) }
        if !addPods.isEmpty { lines.append("add pods: \(addPods.joined(separator: ", "))") }
        if !failovers.isEmpty { lines.append("promote in place: \(failovers.joined(separator: ", "))") }
        lines.append("masters: \(newMasters.joined(separator: ", "))")
        for assignment in replicas + demoted { lines.append("replica: \(assignment)") }
        if moves.isEmpty {
            lines.append("no slots move")
        } else {
            lines.append("slot moves (\(plannedSlots) slots):")
            lines.append(TextTable.render(header: ["FROM", "TO", "SLOTS", "RANGES"],
                                          rows: moves.map { [$0.from, $0.to, String($0.slots), $0.ranges] }))
        }
        if !removePods.isEmpty { lines.append("remove pods: \(removePods.joined(separator: ", "))") }
        if let movedSlots, let movedKeys, let keysPerSecond {
            lines.append("moved \(movedSlots) slots and \(movedKeys) keys (\(keysPerSecond) keys/s) in "
                         + String(format: "%.2f", elapsedSeconds ?? 0) + "s")
        }
        if let verify { lines += ["", VerifyResult(report: verify).text] }
        return lines.joined(separator: "\n")
    }
}
