import Foundation
import RESP
import RedisCtlCore

/// A client that keeps writing while the cluster changes under it, the way a cluster-aware
/// application does: slots routed by the map from CLUSTER SLOTS, MOVED and ASK followed, a node
/// that drops the connection retried after the map is read again. It records every write the
/// cluster acknowledged, and every write it could not place within its retry budget.
actor ClusterTrafficWriter {
    struct Summary {
        var acknowledged: [String: String] = [:]
        var failures: [String] = []
    }

    private let seeds: @Sendable () async throws -> [RedisEndpoint]
    private let options: RedisConnectionOptions
    private let prefix: String
    private var slotOwners: [Int: RedisEndpoint] = [:]
    private var connections: [RedisEndpoint: RedisConnection] = [:]
    private var summary = Summary()
    private var running = false
    private var loop: Task<Void, Never>?

    init(prefix: String, password: String, seeds: @escaping @Sendable () async throws -> [RedisEndpoint]) {
        self.prefix = prefix
        self.seeds = seeds
        options = RedisConnectionOptions(password: password, connectTimeout: .seconds(1), commandTimeout: .seconds(5))
    }

    func start() {
        running = true
        loop = Task { await self.writeUntilStopped() }
    }

    func stop() async -> Summary {
        running = false
        await loop?.value
        for connection in connections.values { await connection.close() }
        connections = [:]
        return summary
    }

    /// Reads every acknowledged key back through the same routing; returns the ones that differ.
    func missingOrWrong() async -> [String] {
        var wrong: [String] = []
        for (key, value) in summary.acknowledged.sorted(by: { $0.key < $1.key }) {
            let read = try? await routed(RedisCommand("GET", key), key: key)
            if read?.string != value { wrong.append("\(key)=\(read?.string ?? "nil"), want \(value)") }
        }
        return wrong
    }

    private func writeUntilStopped() async {
        var sequence = 0
        while running {
            let key = "\(prefix):\(sequence)"
            let value = "v\(sequence)"
            do {
                _ = try await routed(RedisCommand("SET", key, value), key: key)
                summary.acknowledged[key] = value
            } catch {
                summary.failures.append("SET \(key): \(error)")
            }
            sequence += 1
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends `command` to the slot's owner, following redirections; gives up after about 10 s.
    private func routed(_ command: RedisCommand, key: String) async throws -> RESPValue {
        let slot = KeySlot.slot(for: key)
        var lastError: any Error = RedisError(.connectionClosed)
        for _ in 0..<50 {
            do {
                if slotOwners[slot] == nil { try await refreshSlots() }
                guard let owner = slotOwners[slot] else { throw RedisError(.clusterDown) }
                return try await connection(owner).send(command)
            } catch let error as RedisError {
                lastError = error
                switch error.kind {
                case .moved(_, let target):
                    slotOwners[slot] = target
                    continue
                case .ask(_, let target):
                    let connection = try await connection(target)
                    _ = try await connection.send(RedisCommand("ASKING"))
                    return try await connection.send(command)
                default:
                    await dropAll()
                }
            } catch {
                lastError = error
                await dropAll()
            }
            slotOwners = [:]
            try await Task.sleep(for: .milliseconds(200))
        }
        throw lastError
    }

    private func refreshSlots() async throws {
        for seed in try await seeds() {
            guard let reply = try? await connection(seed).send(RedisCommand("CLUSTER", "SLOTS")),
                  let ranges = reply.array else {
                await drop(seed)
                continue
            }
            var owners: [Int: RedisEndpoint] = [:]
            for range in ranges {
                guard let fields = range.array, fields.count >= 3, let start = fields[0].int, let end = fields[1].int,
                      let master = fields[2].array, master.count >= 2, let host = master[0].string,
                      let port = master[1].int
                else { continue }
                for slot in Int(start)...Int(end) { owners[slot] = RedisEndpoint(host: host, port: Int(port)) }
            }
            if owners.count == KeySlot.count {
                slotOwners = owners
                return
            }
        }
        throw RedisError(.clusterDown)
    }

    private func connection(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        if let open = connections[endpoint] { return open }
        let connection = try await RedisConnection.connect(to: endpoint, options: options)
        connections[endpoint] = connection
        return connection
    }

    private func dropAll() async {
        for endpoint in Array(connections.keys) { await drop(endpoint) }
    }

    private func drop(_ endpoint: RedisEndpoint) async {
        await connections.removeValue(forKey: endpoint)?.close()
    }
}
