import Foundation

/// Where a node runs, as far as failures go: nodes sharing a domain can fail together.
public struct FailureDomain: Hashable, Sendable, Codable {
    /// The machine (local platform: host name or IP of the machine running the processes).
    public var host: String?
    /// The Kubernetes node the pod is scheduled on.
    public var node: String?
    public var zone: String?

    public init(host: String? = nil, node: String? = nil, zone: String? = nil) {
        self.host = host
        self.node = node
        self.zone = zone
    }

    /// The machine that takes the node down with it: the Kubernetes node, else the host.
    public var machine: String? { node ?? host }
}

/// A node that can be given a role in the cluster.
public struct LayoutCandidate: Hashable, Sendable, Codable {
    /// Pod name (`redis-cluster-0`) or local node name.
    public var name: String
    /// Address the other nodes reach it at (what CLUSTER MEET uses).
    public var host: String
    public var port: Int
    public var failureDomain: FailureDomain

    public init(name: String, host: String, port: Int, failureDomain: FailureDomain = FailureDomain()) {
        self.name = name
        self.host = host
        self.port = port
        self.failureDomain = failureDomain
    }

    public var address: String { formatAddress(host: host, port: port) }

    /// The machine, or the IP when nothing better is known (as redis-cli groups by IP).
    var machineKey: String { failureDomain.machine ?? host }
}

public struct PlannedMaster: Hashable, Sendable, Codable {
    public var candidate: LayoutCandidate
    public var slots: SlotRange
    /// 1-based, distinct per master so no epoch collision has to be resolved at start.
    public var configEpoch: Int

    public init(candidate: LayoutCandidate, slots: SlotRange, configEpoch: Int) {
        self.candidate = candidate
        self.slots = slots
        self.configEpoch = configEpoch
    }
}

public struct PlannedReplica: Hashable, Sendable, Codable {
    public var candidate: LayoutCandidate
    public var masterName: String

    public init(candidate: LayoutCandidate, masterName: String) {
        self.candidate = candidate
        self.masterName = masterName
    }
}

/// Who is master of which slots, who replicates whom, and what could not be placed well.
public struct LayoutPlan: Hashable, Sendable, Codable {
    public var masters: [PlannedMaster]
    /// Round by round: every master's first replica, then every master's second, ...
    public var replicas: [PlannedReplica]
    public var unused: [LayoutCandidate]
    public var warnings: [String]

    public init(masters: [PlannedMaster], replicas: [PlannedReplica], unused: [LayoutCandidate], warnings: [String]) {
        self.masters = masters
        self.replicas = replicas
        self.unused = unused
        self.warnings = warnings
    }

    public func replicas(ofMaster name: String) -> [PlannedReplica] {
        replicas.filter { $0.masterName == name }
    }

    /// Masters then replicas, in plan order.
    public var members: [LayoutCandidate] { masters.map(\.candidate) + replicas.map(\.candidate) }
}

public enum ClusterLayout {
    public static let minimumMasters = 3

    /// Chooses masters spread over machines and zones, splits the slots like redis-cli, and
    /// gives every master replicas outside its failure domain where the candidates allow.
    /// The result depends only on the set of candidates, not their order.
    public static func plan(candidates: [LayoutCandidate], masters: Int, replicasPerMaster: Int) throws -> LayoutPlan {
        guard masters >= minimumMasters else {
            throw ClusterOpsError(.invalidLayout, "a cluster needs at least \(minimumMasters) masters, \(masters) requested", category: .cannotRun)
        }
        guard masters <= SlotRange.slotCount else {
            throw ClusterOpsError(.invalidLayout, "a cluster has \(SlotRange.slotCount) slots, so at most that many masters (\(masters) requested)", category: .cannotRun)
        }
        guard replicasPerMaster >= 0 else {
            throw ClusterOpsError(.invalidLayout, "replicas per master cannot be negative (\(replicasPerMaster) requested)", category: .cannotRun)
        }
        try rejectDuplicates(candidates)
        let needed = masters * (1 + replicasPerMaster)
        guard candidates.count >= needed else {
            throw ClusterOpsError(
                .notEnoughNodes,
                "\(masters) masters with \(replicasPerMaster) replica(s) each need \(needed) nodes, found \(candidates.count): \(needed - candidates.count) missing",
                category: .cannotRun
            )
        }

        var remaining = candidates.sorted(by: naturalOrder)
        let zoneCount = Set(candidates.compactMap(\.failureDomain.zone)).count

        let chosenMasters = chooseMasters(from: &remaining, count: masters)
        let ranges = slotRanges(masters: masters)
        let plannedMasters = chosenMasters.enumerated().map { index, candidate in
            PlannedMaster(candidate: candidate, slots: ranges[index], configEpoch: index + 1)
        }

        var assigned: [[LayoutCandidate]] = Array(repeating: [], count: masters)
        var plannedReplicas: [PlannedReplica] = []
        for _ in 0..<replicasPerMaster {
            let picks = assignReplicaRound(masters: chosenMasters, siblings: assigned, from: remaining)
            for (masterIndex, candidateIndex) in picks.enumerated() {
                let candidate = remaining[candidateIndex]
                assigned[masterIndex].append(candidate)
                plannedReplicas.append(PlannedReplica(candidate: candidate, masterName: chosenMasters[masterIndex].name))
            }
            let taken = Set(picks)
            remaining = remaining.enumerated().filter { !taken.contains($0.offset) }.map(\.element)
        }

        var warnings: [String] = []
        for replica in plannedReplicas {
            guard let master = chosenMasters.first(where: { $0.name == replica.masterName }) else { continue }
            warnings += placementWarnings(replica: replica.candidate, master: master, zonesKnown: zoneCount)
        }
        return LayoutPlan(masters: plannedMasters, replicas: plannedReplicas, unused: remaining, warnings: warnings)
    }

    /// redis-cli's split: `16384/m` slots per master, boundaries rounded, the last one ending at 16383.
    public static func slotRanges(masters: Int) -> [SlotRange] {
        guard masters > 0 else { return [] }
        let perMaster = Double(SlotRange.slotCount) / Double(masters)
        var cursor = 0.0
        var first = 0
        var ranges: [SlotRange] = []
        for index in 0..<masters {
            var last = lround(cursor + perMaster - 1)
            if last >= SlotRange.slotCount || index == masters - 1 { last = SlotRange.slotCount - 1 }
            last = max(last, first)
            ranges.append(SlotRange(first, last))
            first = last + 1
            cursor += perMaster
        }
        return ranges
    }

    /// Human-friendly, deterministic order: `redis-cluster-2` before `redis-cluster-10`.
    static func naturalOrder(_ lhs: LayoutCandidate, _ rhs: LayoutCandidate) -> Bool {
        let byName = lhs.name.compare(rhs.name, options: [.numeric])
        if byName != .orderedSame { return byName == .orderedAscending }
        return (lhs.host, lhs.port) < (rhs.host, rhs.port)
    }

    private static func rejectDuplicates(_ candidates: [LayoutCandidate]) throws {
        var names: Set<String> = []
        var addresses: Set<String> = []
        for candidate in candidates {
            guard names.insert(candidate.name).inserted else {
                throw ClusterOpsError(.invalidLayout, "node name \(candidate.name) is listed twice", category: .cannotRun)
            }
            guard addresses.insert(candidate.address).inserted else {
                throw ClusterOpsError(.invalidLayout, "address \(candidate.address) is listed twice (\(candidate.name))", category: .cannotRun)
            }
        }
    }

    /// Greedy spread: each next master is the candidate whose machine, then zone, holds the
    /// fewest masters so far; ties go to the natural order. With one pod per machine and no
    /// zones this is simply the first `count` names.
    private static func chooseMasters(from remaining: inout [LayoutCandidate], count: Int) -> [LayoutCandidate] {
        var chosen: [LayoutCandidate] = []
        var perMachine: [String: Int] = [:]
        var perZone: [String: Int] = [:]
        for _ in 0..<count {
            var best = 0
            var bestScore = (Int.max, Int.max)
            for (index, candidate) in remaining.enumerated() {
                let score = (perMachine[candidate.machineKey, default: 0],
                             candidate.failureDomain.zone.map { perZone[$0, default: 0] } ?? 0)
                if score < bestScore {
                    best = index
                    bestScore = score
                }
            }
            let candidate = remaining.remove(at: best)
            perMachine[candidate.machineKey, default: 0] += 1
            if let zone = candidate.failureDomain.zone { perZone[zone, default: 0] += 1 }
            chosen.append(candidate)
        }
        return chosen
    }

    // Conflict weights, each larger than any sum of the ones below it, so one hard conflict
    // outweighs every softer consideration together.
    private static let sameMachineAsMaster = 1 << 40
    private static let sameZoneAsMaster = 1 << 32
    private static let sameMachineAsSibling = 1 << 24
    private static let sameZoneAsSibling = 1 << 16

    /// One replica for every master, as a minimum-cost assignment (so a good placement is
    /// found whenever one exists, where a greedy pick could paint itself into a corner).
    /// Returns, per master, the index into `candidates`.
    private static func assignReplicaRound(masters: [LayoutCandidate], siblings: [[LayoutCandidate]], from candidates: [LayoutCandidate]) -> [Int] {
        var costs: [[Int]] = []
        for (masterIndex, master) in masters.enumerated() {
            costs.append(candidates.enumerated().map { rank, candidate in
                var cost = 0
                if candidate.machineKey == master.machineKey { cost += sameMachineAsMaster }
                if let zone = candidate.failureDomain.zone, zone == master.failureDomain.zone { cost += sameZoneAsMaster }
                for sibling in siblings[masterIndex] {
                    if candidate.machineKey == sibling.machineKey { cost += sameMachineAsSibling }
                    if let zone = candidate.failureDomain.zone, zone == sibling.failureDomain.zone { cost += sameZoneAsSibling }
                }
                // Prefer the natural pairing (first master with the first free candidate, ...)
                // among equally good placements, so plans read predictably.
                return cost + abs(rank - masterIndex)
            })
        }
        return minimumCostAssignment(costs)
    }

    private static func placementWarnings(replica: LayoutCandidate, master: LayoutCandidate, zonesKnown: Int) -> [String] {
        var warnings: [String] = []
        let replicaDomain = replica.failureDomain
        let masterDomain = master.failureDomain
        if let node = replicaDomain.node, node == masterDomain.node {
            warnings.append("replica \(replica.name) is on the same Kubernetes node \(node) as its master \(master.name)")
        } else if replicaDomain.node == nil, masterDomain.node == nil, let host = replicaDomain.host, host == masterDomain.host {
            warnings.append("replica \(replica.name) is on the same host \(host) as its master \(master.name)")
        } else if replicaDomain.machine == nil, masterDomain.machine == nil, replica.host == master.host {
            warnings.append("replica \(replica.name) has the same IP \(replica.host) as its master \(master.name)")
        }
        // One zone for everything is a deliberate setup, not worth a warning per replica.
        if zonesKnown > 1, let zone = replicaDomain.zone, zone == masterDomain.zone {
            warnings.append("replica \(replica.name) is in the same zone \(zone) as its master \(master.name)")
        }
        return warnings
    }
}

/// Hungarian algorithm for a rows x columns cost matrix with rows <= columns: the column
/// for each row, minimising the total cost. O(rows^2 * columns).
func minimumCostAssignment(_ costs: [[Int]]) -> [Int] {
    let rows = costs.count
    guard rows > 0, let columns = costs.first?.count, columns >= rows else { return [] }
    let infinity = Int.max / 4
    // 1-based potentials and matching, index 0 is the virtual start column.
    var rowPotential = Array(repeating: 0, count: rows + 1)
    var columnPotential = Array(repeating: 0, count: columns + 1)
    var rowOfColumn = Array(repeating: 0, count: columns + 1)
    var previousColumn = Array(repeating: 0, count: columns + 1)
    for row in 1...rows {
        rowOfColumn[0] = row
        var column0 = 0
        var minimum = Array(repeating: infinity, count: columns + 1)
        var used = Array(repeating: false, count: columns + 1)
        repeat {
            used[column0] = true
            let row0 = rowOfColumn[column0]
            var delta = infinity
            var column1 = 0
            for column in 1...columns where !used[column] {
                let reduced = costs[row0 - 1][column - 1] - rowPotential[row0] - columnPotential[column]
                if reduced < minimum[column] {
                    minimum[column] = reduced
                    previousColumn[column] = column0
                }
                if minimum[column] < delta {
                    delta = minimum[column]
                    column1 = column
                }
            }
            for column in 0...columns {
                if used[column] {
                    rowPotential[rowOfColumn[column]] += delta
                    columnPotential[column] -= delta
                } else {
                    minimum[column] -= delta
                }
            }
            column0 = column1
        } while rowOfColumn[column0] != 0
        repeat {
            let column1 = previousColumn[column0]
            rowOfColumn[column0] = rowOfColumn[column1]
            column0 = column1
        } while column0 != 0
    }
    var assignment = Array(repeating: 0, count: rows)
    for column in 1...columns where rowOfColumn[column] != 0 {
        assignment[rowOfColumn[column] - 1] = column - 1
    }
    return assignment
}
