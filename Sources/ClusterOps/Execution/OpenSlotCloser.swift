import RESP
import RedisCtlCore

extension SlotMigrator {
    /// Closes the slots an interrupted run left open (see `OpenSlotRecovery`), before anything new moves.
    public func close(_ actions: [OpenSlotAction], endpoints: [String: RedisEndpoint], masters: [String],
                      deadline: Deadline) async throws {
        guard !actions.isEmpty else { return }
        progress.step("closing \(actions.count) slot(s) left open by an interrupted run")
        let finishing = try await withNodeConnectionPool(connector) { pool -> [SlotTransfer] in
            var finishing: [SlotTransfer] = []
            for action in actions {
                progress.detail(action.description)
                switch action {
                case .finish(let slot, let source, let target):
                    // The target is told who owns the slot now: when the source it imported from
                    // died and became a replica, the target dropped the slot from that node and,
                    // importing, took no new owner (Redis leaves importing slots alone), so it
                    // answers "Hash slot not served" to every key moved to it.
                    if let endpoint = endpoints[target] {
                        do {
                            _ = try await pool.send(endpoint, RedisCommand("CLUSTER", "SETSLOT", String(slot), "NODE", source))
                        } catch {
                            throw GeneralFailure(.operationFailed,
                                "\(endpoint): cannot tell it that \(source) owns slot \(slot): \(error); check the node and run scale again")
                        }
                    }
                    finishing.append(SlotTransfer(source: source, target: target, slots: [slot]))
                case .settle(let slot, let owner):
                    let command = RedisCommand("CLUSTER", "SETSLOT", String(slot), "NODE", owner)
                    for id in [owner] + masters.filter({ $0 != owner }) {
                        guard let endpoint = endpoints[id] else { continue }
                        do {
                            _ = try await pool.send(endpoint, command)
                        } catch {
                            throw GeneralFailure(.operationFailed,
                                "\(endpoint): cannot settle slot \(slot) on its owner \(owner): \(error); check the node and run scale again")
                        }
                    }
                case .rollback(let slot, let nodes):
                    for id in nodes {
                        guard let endpoint = endpoints[id] else { continue }
                        _ = try await pool.send(endpoint, RedisCommand("CLUSTER", "SETSLOT", String(slot), "STABLE"))
                    }
                }
            }
            return finishing
        }
        // Finishing is an ordinary move of the slot: every step of it can be repeated.
        try await run(finishing, endpoints: endpoints, masters: masters, deadline: deadline)
    }
}
