import ClusterOps
import Foundation

/// What `scale` did (or, with `--dry-run`, would do); one JSON object with `-o json`.
struct ScaleResult: CommandResult {
    struct Shape: Encodable {
        let masters: Int
        let replicasPerMaster: Int
        let pods: Int
    }

    struct Move: Encodable {
        let from: String
        let to: String
        let slots: Int
        let ranges: String
    }

    let cluster: String
    let platform: String
    let from: Shape
    let to: Shape
    let plan: ScalePlan
    let openSlots: [String]
    let dryRun: Bool
    var movedSlots = 0
    var movedKeys = 0
    var migrationSeconds = 0.0
    var elapsedSeconds = 0.0
    var verify: HealthReport?

    var moves: [Move] {
        plan.rebalance.transfers.map { Move(from: $0.source, to: $0.target, slots: $0.slots.count,
                                            ranges: SlotRange.describe($0.ranges)) }
    }

    enum CodingKeys: String, CodingKey {
        case cluster, platform, dryRun, from, to, addPods, removePods, failovers, newMasters, replicas, demoted, moves
        case plannedSlots, openSlots, movedSlots, movedKeys, keysPerSecond, migrationSeconds, elapsedSeconds, verify, healthy
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(platform, forKey: .platform)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(plan.addedPods, forKey: .addPods)
        try container.encode(plan.leaving, forKey: .removePods)
        try container.encode(plan.failovers, forKey: .failovers)
        try container.encode(plan.finalMasters, forKey: .newMasters)
        try container.encode(plan.replicas.map { ["replica": $0.replica, "master": $0.master] }, forKey: .replicas)
        try container.encode(plan.demoted.map { ["replica": $0.replica, "master": $0.master] }, forKey: .demoted)
        try container.encode(moves, forKey: .moves)
        try container.encode(plan.rebalance.movedSlotCount, forKey: .plannedSlots)
        try container.encode(openSlots, forKey: .openSlots)
        if !dryRun {
            try container.encode(movedSlots, forKey: .movedSlots)
            try container.encode(movedKeys, forKey: .movedKeys)
            try container.encode(keysPerSecond, forKey: .keysPerSecond)
            try container.encode((migrationSeconds * 1000).rounded() / 1000, forKey: .migrationSeconds)
            try container.encode((elapsedSeconds * 1000).rounded() / 1000, forKey: .elapsedSeconds)
        }
        try container.encodeIfPresent(verify, forKey: .verify)
        try container.encodeIfPresent(verify?.healthy, forKey: .healthy)
    }

    var keysPerSecond: Int { migrationSeconds > 0 ? Int(Double(movedKeys) / migrationSeconds) : 0 }

    var text: String {
        var lines: [String] = []
        let head = "\(from.masters) masters x \(from.replicasPerMaster) replica(s) (\(from.pods) pods) -> "
            + "\(to.masters) masters x \(to.replicasPerMaster) replica(s) (\(to.pods) pods)"
        lines.append(dryRun ? "plan for cluster \(cluster) (dry run, nothing changed): \(head)" : "cluster \(cluster) scaled: \(head)")
        if !openSlots.isEmpty { lines.append("slots left open by an interrupted run: " + openSlots.joined(separator: "; ")) }
        if !plan.addedPods.isEmpty { lines.append("add pods: \(plan.addedPods.joined(separator: ", "))") }
        if !plan.failovers.isEmpty { lines.append("promote in place: \(plan.failovers.joined(separator: ", "))") }
        lines.append("masters: \(plan.finalMasters.joined(separator: ", "))")
        for assignment in plan.replicas + plan.demoted { lines.append("replica: \(assignment)") }
        if moves.isEmpty {
            lines.append("no slots move")
        } else {
            lines.append("slot moves (\(plan.rebalance.movedSlotCount) slots):")
            lines.append(TextTable.render(header: ["FROM", "TO", "SLOTS", "RANGES"],
                                          rows: moves.map { [$0.from, $0.to, String($0.slots), $0.ranges] }))
        }
        if !plan.leaving.isEmpty { lines.append("remove pods: \(plan.leaving.joined(separator: ", "))") }
        if !dryRun {
            lines.append("moved \(movedSlots) slots and \(movedKeys) keys (\(keysPerSecond) keys/s) in "
                         + String(format: "%.2f", elapsedSeconds) + "s")
        }
        if let verify { lines += ["", VerifyResult(report: verify).text] }
        return lines.joined(separator: "\n")
    }
}
