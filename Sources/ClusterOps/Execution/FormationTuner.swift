import RESP
import RedisCtlCore

/// Puts `FormationSettings` on every node for the duration of an init, and each node's own values
/// back afterwards. The values to put back are recorded before anything changes, so a run that is
/// killed is put right by the next one. A node that refuses CONFIG (the command renamed, or denied
/// by its ACL) keeps its own values: formation is slower there, not wrong.
struct FormationTuner: Sendable {
    let pool: NodeConnectionPool
    let progress: any ProgressReporter
    let record: any FormationRecord

    /// One node's values to put back.
    struct Restoration: Sendable {
        let member: LayoutCandidate
        let settings: [NodeSetting]
    }

    /// Reads each node's values, records what puts them back, then sets what differs. Returns what
    /// `restore` puts back: also what a killed run left, and on nodes that took only part.
    func apply(_ settings: FormationSettings, to members: [LayoutCandidate],
               configuredNodeTimeoutMs: Int?) async throws -> [Restoration] {
        let recorded = try record.load()
        let plans = await forEach(members) { member in
            await plan(settings, for: member, recorded: recorded[member.name] ?? [],
                       configuredNodeTimeoutMs: configuredNodeTimeoutMs)
        }
        var restorations = plans.compactMap { plan in
            plan.tuning.restore.isEmpty ? nil : Restoration(member: plan.member, settings: plan.tuning.restore)
        }
        // Values recorded for nodes that are not members now stay recorded.
        let memberNames = Set(members.map(\.name))
        let others = recorded.filter { !memberNames.contains($0.key) }
        do {
            try record.save(Self.originals(restorations).merging(others) { ours, _ in ours })
        } catch {
            progress.warning("cannot record the nodes' own settings (\(ClusterInitializer.reason(error))); "
                             + "the cluster forms with them unchanged")
            return restorations
        }
        let refused = await forEach(plans.filter { !$0.tuning.apply.isEmpty }) { plan in
            (plan.member.name, await set(plan.tuning.apply, on: plan.member, pool: pool))
        }
        let refusedNames = Dictionary(refused, uniquingKeysWith: { first, _ in first })
        // A refused setting whose value to put back is the node's current one has nothing to put back.
        restorations = plans.compactMap { plan in
            let refused = refusedNames[plan.member.name] ?? []
            let settings = plan.tuning.restore.filter { !(refused.contains($0.name) && plan.current[$0.name] == $0.value) }
            return settings.isEmpty ? nil : Restoration(member: plan.member, settings: settings)
        }
        return restorations
    }

    /// How long putting values back may take once the init has ended, also by its deadline.
    static let restoreBound: Duration = .seconds(5)

    /// Puts every node's own values back, on connections of its own bounded by `restoreBound` (the
    /// init may have ended by its deadline); a node that does not take them is named on stderr and
    /// its values stay recorded for the next run.
    func restore(_ restorations: [Restoration], connector: NodeConnector) async {
        guard !restorations.isEmpty else { return }
        // The body throws nothing; were the pool to, every value would count as not put back.
        let failed = (try? await withNodeConnectionPool(connector.bounded(by: .after(Self.restoreBound))) { pool in
            await forEach(restorations) { restoration in
                let failures = await set(restoration.settings, on: restoration.member, pool: pool, restoring: true)
                return Restoration(member: restoration.member,
                                   settings: restoration.settings.filter { failures.contains($0.name) })
            }.filter { !$0.settings.isEmpty }
        }) ?? restorations
        do {
            var left = try record.load()
            for restoration in restorations { left[restoration.member.name] = nil }
            try record.save(left.merging(Self.originals(failed)) { _, failed in failed })
        } catch {
            progress.warning("cannot update the record of the nodes' own settings (\(ClusterInitializer.reason(error)))")
        }
    }

    // MARK: One node

    private struct Plan: Sendable {
        let member: LayoutCandidate
        let current: [String: String]
        let tuning: NodeTuning
    }

    private func plan(_ settings: FormationSettings, for member: LayoutCandidate, recorded: [NodeSetting],
                      configuredNodeTimeoutMs: Int?) async -> Plan {
        do {
            let names = settings.parameters
            let replies = try await pool.connection(member.endpoint).pipeline(names.map { RedisCommand("CONFIG", "GET", $0) })
            var current: [String: String] = [:]
            for (name, reply) in zip(names, replies) {
                current[name] = Self.configValue(try reply.get())
            }
            return Plan(member: member, current: current,
                        tuning: settings.plan(current: current, recorded: recorded,
                                              configuredNodeTimeoutMs: configuredNodeTimeoutMs))
        } catch {
            warnRefused(member, error)
            // Nothing is set on it; what a killed run recorded is still put back.
            return Plan(member: member, current: [:], tuning: NodeTuning(apply: [], restore: recorded))
        }
    }

    /// CONFIG SET of each setting, pipelined; returns the names the node refused (all of them when
    /// the outcome is unknown).
    private func set(_ settings: [NodeSetting], on member: LayoutCandidate, pool: NodeConnectionPool,
                     restoring: Bool = false) async -> Set<String> {
        guard !settings.isEmpty else { return [] }
        var refused: [(NodeSetting, String)] = []
        do {
            let replies = try await pool.connection(member.endpoint).pipeline(settings.map {
                RedisCommand("CONFIG", "SET", $0.name, $0.value)
            })
            for (setting, reply) in zip(settings, replies) {
                if case .failure(let error) = reply { refused.append((setting, error.message)) }
            }
        } catch {
            refused = settings.map { ($0, ClusterInitializer.reason(error)) }
        }
        if restoring {
            for (setting, reason) in refused {
                progress.warning("\(member.label): could not restore \(setting) (\(reason)); "
                                 + "set it with CONFIG SET or restart the node")
            }
        } else {
            if let (_, reason) = refused.first { warnRefused(member, reason) }
            let made = settings.filter { setting in !refused.contains { $0.0.name == setting.name } }
            if !made.isEmpty {
                progress.detail("\(member.name): \(made.map(\.description).joined(separator: ", ")) while the cluster forms")
            }
        }
        return Set(refused.map(\.0.name))
    }

    private func warnRefused(_ member: LayoutCandidate, _ error: any Error) {
        warnRefused(member, ClusterInitializer.reason(error))
    }

    private func warnRefused(_ member: LayoutCandidate, _ reason: String) {
        progress.warning("\(member.label): CONFIG refused (\(reason)); "
                         + "it forms the cluster with its own settings, which can take seconds longer")
    }

    private func forEach<Item: Sendable, Result: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) async -> Result
    ) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            for (index, item) in items.enumerated() { group.addTask { (index, await body(item)) } }
            var results: [(Int, Result)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    private static func originals(_ restorations: [Restoration]) -> [String: [NodeSetting]] {
        Dictionary(restorations.map { ($0.member.name, $0.settings) }, uniquingKeysWith: { first, _ in first })
    }

    /// The value in a `CONFIG GET` reply of one parameter (an array in RESP2, a map in RESP3); nil
    /// when the node does not know the parameter.
    static func configValue(_ reply: RESPValue) -> String? {
        if let array = reply.array { return array.count == 2 ? array[1].string : nil }
        return reply.map?.first?.value.string
    }
}
