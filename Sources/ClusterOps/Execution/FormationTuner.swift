import RESP
import RedisCtlCore

/// Puts `FormationSettings` on every node for the duration of an init, and each node's own values
/// back afterwards. A node that refuses CONFIG (the command renamed, or denied by its ACL) keeps its
/// own values: formation is slower there, not wrong.
struct FormationTuner: Sendable {
    let pool: NodeConnectionPool
    let progress: any ProgressReporter

    /// One node's values to put back.
    struct Restoration: Sendable {
        let member: LayoutCandidate
        let settings: [NodeSetting]
    }

    /// Reads each node's values, then sets what differs. Returns what `restore` puts back, including
    /// on the nodes where only part of the settings could be made.
    func apply(_ settings: FormationSettings, to members: [LayoutCandidate],
               configuredNodeTimeoutMs: Int?) async -> [Restoration] {
        await withTaskGroup(of: Restoration?.self) { group in
            for member in members {
                group.addTask {
                    await apply(settings, to: member, configuredNodeTimeoutMs: configuredNodeTimeoutMs)
                }
            }
            var restorations: [Restoration] = []
            for await restoration in group { if let restoration { restorations.append(restoration) } }
            return restorations.sorted { $0.member.name < $1.member.name }
        }
    }

    private func apply(_ settings: FormationSettings, to member: LayoutCandidate,
                       configuredNodeTimeoutMs: Int?) async -> Restoration? {
        let tuning: NodeTuning
        do {
            let names = settings.settings.map(\.name)
            let replies = try await pool.connection(member.endpoint).pipeline(names.map { RedisCommand("CONFIG", "GET", $0) })
            var current: [String: String] = [:]
            for (name, reply) in zip(names, replies) {
                current[name] = Self.configValue(try reply.get())
            }
            tuning = settings.plan(current: current, configuredNodeTimeoutMs: configuredNodeTimeoutMs)
        } catch {
            warnRefused(member, error)
            return nil
        }
        var restore = tuning.restore.filter { original in !tuning.apply.contains { $0.name == original.name } }
        do {
            let replies = try await pool.connection(member.endpoint).pipeline(tuning.apply.map {
                RedisCommand("CONFIG", "SET", $0.name, $0.value)
            })
            var refused: RedisError?
            for (setting, reply) in zip(tuning.apply, replies) {
                switch reply {
                case .success:
                    if let original = tuning.restore.first(where: { $0.name == setting.name }) { restore.append(original) }
                case .failure(let error):
                    refused = refused ?? error
                }
            }
            if let refused { warnRefused(member, refused) }
        } catch {
            // Whether the commands took effect is unknown: put every value back.
            warnRefused(member, error)
            restore = tuning.restore
        }
        if !tuning.apply.isEmpty {
            progress.detail("\(member.name): \(tuning.apply.map(\.description).joined(separator: ", ")) while the cluster forms")
        }
        return restore.isEmpty ? nil : Restoration(member: member, settings: restore)
    }

    /// Puts every node's own values back; a node that does not take them is named on stderr.
    func restore(_ restorations: [Restoration]) async {
        await withTaskGroup(of: Void.self) { group in
            for restoration in restorations {
                group.addTask {
                    let member = restoration.member
                    let failures: [(NodeSetting, String)]
                    do {
                        let replies = try await pool.connection(member.endpoint).pipeline(restoration.settings.map {
                            RedisCommand("CONFIG", "SET", $0.name, $0.value)
                        })
                        failures = zip(restoration.settings, replies).compactMap { setting, reply in
                            if case .failure(let error) = reply { return (setting, error.message) }
                            return nil
                        }
                    } catch {
                        failures = restoration.settings.map { ($0, ClusterInitializer.reason(error)) }
                    }
                    for (setting, reason) in failures {
                        progress.warning("\(member.name) (\(member.address)): could not restore \(setting) (\(reason)); "
                                         + "set it with CONFIG SET or restart the node")
                    }
                }
            }
        }
    }

    private func warnRefused(_ member: LayoutCandidate, _ error: any Error) {
        progress.warning("\(member.name) (\(member.address)): CONFIG refused (\(ClusterInitializer.reason(error))); "
                         + "it forms the cluster with its own settings, which can take seconds longer")
    }

    /// The value in a `CONFIG GET` reply of one parameter (an array in RESP2, a map in RESP3); nil
    /// when the node does not know the parameter.
    static func configValue(_ reply: RESPValue) -> String? {
        if let array = reply.array { return array.count == 2 ? array[1].string : nil }
        return reply.map?.first?.value.string
    }
}
