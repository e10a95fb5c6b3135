import RESP
import RedisCtlCore

/// Reads what `RepairPlanner` needs from every node and runs its steps, one phase at a time with
/// the cluster read again in between: each phase changes what the next one sees.
public struct ClusterRepair: Sendable {
    public let connector: NodeConnector
    public let progress: any ProgressReporter
    public var migration = SlotMigrationOptions()

    public init(connector: NodeConnector, progress: any ProgressReporter) {
        self.connector = connector
        self.progress = progress
    }

    /// Every node's own view, with the pod's failure domain.
    public func read(_ nodes: [(address: MemberAddress, failureDomain: FailureDomain)],
                     pool: NodeConnectionPool) async throws -> [RepairMember] {
        let membership = ClusterMembership(pool: pool, progress: progress)
        var members: [RepairMember] = []
        for node in nodes {
            let topology = try await membership.topology(node.address)
            guard topology.myself != nil else {
                throw GeneralFailure(.operationFailed, "\(node.address.label): CLUSTER NODES names no node as myself")
            }
            members.append(RepairMember(address: node.address, failureDomain: node.failureDomain, topology: topology))
        }
        return members
    }

    /// For each slot no master serves, the keys each master holds in it (`CLUSTER COUNTKEYSINSLOT`).
    public func keysInUncoveredSlots(_ members: [RepairMember], pool: NodeConnectionPool) async throws -> [Int: [String: Int]] {
        let masters = members.filter { $0.topology.myself?.isMaster == true }
        let served = SlotRange.merge(masters.flatMap { $0.topology.myself?.slots ?? [] })
        let uncovered = SlotRange.subtract(served, from: [SlotRange.all]).flatMap(\.slots)
        guard !uncovered.isEmpty else { return [:] }
        progress.detail("counting keys in \(uncovered.count) uncovered slot(s) on \(masters.count) master(s)")
        var counts: [Int: [String: Int]] = [:]
        for member in masters {
            guard let id = member.id else { continue }
            var start = 0
            while start < uncovered.count {
                let chunk = uncovered[start..<min(start + 1000, uncovered.count)]
                let replies = try await pool.connection(member.address.endpoint)
                    .pipeline(chunk.map { RedisCommand("CLUSTER", "COUNTKEYSINSLOT", String($0)) })
                for (slot, reply) in zip(chunk, replies) {
                    guard let count = try reply.get().int else {
                        throw GeneralFailure(.operationFailed, "\(member.address.label): CLUSTER COUNTKEYSINSLOT \(slot) gave no number")
                    }
                    if count > 0 { counts[slot, default: [:]][id] = Int(count) }
                }
                start += 1000
            }
        }
        return counts
    }

    /// Runs `steps` (one phase of a plan), printing each.
    public func run(_ steps: [RepairStep], members: [RepairMember], pool: NodeConnectionPool, deadline: Deadline) async throws {
        let byName = Dictionary(members.map { ($0.address.name, $0.address) }, uniquingKeysWith: { first, _ in first })
        let endpoints = Dictionary(members.compactMap { member in member.id.map { ($0, member.address.endpoint) } },
                                   uniquingKeysWith: { first, _ in first })
        let masters = members.compactMap { $0.topology.myself }.filter(\.isMaster).map(\.id)
        var openSlots: [OpenSlotAction] = []
        for step in steps {
            if case .closeSlot(let action) = step {
                openSlots.append(action)
                continue
            }
            progress.step(step.description)
            switch step {
            case .refreshAddress(let viewer, _, let host, let port, let busPort):
                try await send(byName[viewer], RedisCommand("CLUSTER", "MEET", host, String(port), String(busPort)), pool: pool)
            case .assignSlots(let node, _, let ranges):
                try await send(byName[node], RedisCommand("CLUSTER", ["ADDSLOTSRANGE"] + ranges.flatMap { [String($0.start), String($0.end)] }),
                               pool: pool)
            case .replicate(let replica, let masterId, _, _):
                try await send(byName[replica], RedisCommand("CLUSTER", "REPLICATE", masterId), pool: pool)
            case .closeSlot:
                break
            }
        }
        if !openSlots.isEmpty {
            try await SlotMigrator(connector: connector, options: migration, progress: progress)
                .close(openSlots, endpoints: endpoints, masters: masters, deadline: deadline)
        }
    }

    private func send(_ member: MemberAddress?, _ command: RedisCommand, pool: NodeConnectionPool) async throws {
        guard let member else { throw GeneralFailure(.operationFailed, "a repair step names a node that was not read") }
        do {
            _ = try await pool.send(member.endpoint, command)
        } catch {
            throw GeneralFailure((error as? any RedisCtlFailure)?.category ?? .operationFailed,
                                 "\(member.label): \(command.name) failed: \((error as? any RedisCtlFailure)?.message ?? "\(error)"); "
                                 + "run repair again once the node answers")
        }
    }
}
