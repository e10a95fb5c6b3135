import Foundation
import RESP
import RedisCtlCore

/// A small cluster-aware client for tests: routes by CRC16 slot, follows MOVED (and refreshes its
/// map) and ASK (with ASKING on the target), and retries TRYAGAIN and CLUSTERDOWN. A command whose
/// reply was lost throws `ClusterTestClient.Uncertain`: it may or may not have been applied.
public actor ClusterTestClient {
    public struct Uncertain: Error {}

    private let options: RedisConnectionOptions
    private let dialer: any RedisDialer
    private var seeds: [RedisEndpoint]
    private var owners: [RedisEndpoint?] = Array(repeating: nil, count: KeySlot.count)
    private var connections: [RedisEndpoint: RedisConnection] = [:]
    public private(set) var movedCount = 0
    public private(set) var askCount = 0

    /// `dialer`: a `TLSDialer` for a cluster that speaks TLS.
    public init(seeds: [RedisEndpoint], password: String?, user: String? = nil, dialer: any RedisDialer = TCPDialer()) {
        self.seeds = seeds
        self.dialer = dialer
        self.options = RedisConnectionOptions(user: user, password: password, connectTimeout: .seconds(2), commandTimeout: .seconds(10))
    }

    /// Sends a command about `key`, wherever its slot lives now. With `replicas` above 0 the node
    /// that ran it must also confirm (`WAIT`) that so many replicas have it, else `Uncertain`: a
    /// master killed right after acknowledging a write may not have passed it on (Redis replicates
    /// asynchronously), so only a replicated write is one a failover must keep.
    public func send(key: String, _ command: RedisCommand, replicas: Int = 0,
                     deadline: Deadline = .after(.seconds(60))) async throws -> RESPValue {
        let slot = KeySlot.slot(for: key)
        if owners[slot] == nil { try await refresh() }
        var target = owners[slot] ?? seeds[0]
        var asking = false
        while true {
            if deadline.hasPassed { throw GeneralFailure(.operationFailed, "no answer for key \(key) before the deadline") }
            let connection: RedisConnection
            do {
                connection = try await self.connection(target)
            } catch {
                // Never sent: safe to retry once the map is fresh.
                try? await Task.sleep(for: .milliseconds(50))
                try? await refresh()
                target = owners[slot] ?? seeds[0]
                asking = false
                continue
            }
            do {
                let reply: RESPValue
                if asking {
                    let replies = try await connection.pipeline([RedisCommand("ASKING"), command])
                    reply = try replies[1].get()
                } else {
                    reply = try await connection.send(command)
                }
                if replicas > 0 {
                    let confirmed = await Self.attempt { try await connection.send(RedisCommand("WAIT", String(replicas), "1000")) }
                    guard let count = try? confirmed.get().int, count >= Int64(replicas) else { throw Uncertain() }
                }
                return reply
            } catch let error as RedisError {
                switch error.kind {
                case .moved(_, let destination):
                    movedCount += 1
                    owners[slot] = destination
                    target = destination
                    asking = false
                case .ask(_, let destination):
                    askCount += 1
                    target = destination
                    asking = true
                case .tryAgain, .clusterDown, .loading:
                    try await Task.sleep(for: .milliseconds(20))
                    // A node that left the cluster answers CLUSTERDOWN: ask the others.
                    if case .clusterDown = error.kind { try? await refresh(avoiding: target) }
                    target = owners[slot] ?? seeds[0]
                    asking = false
                case .connectFailed:
                    connections[target] = nil
                    try? await refresh()
                    target = owners[slot] ?? seeds[0]
                    asking = false
                default:
                    if case .server = error.kind { throw error }
                    // Sent, but the reply is lost: it may have been applied.
                    connections[target] = nil
                    throw Uncertain()
                }
            }
        }
    }

    private static func attempt<Value>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// Re-reads the slot map from the first node that answers CLUSTER SLOTS.
    public func refresh(avoiding avoided: RedisEndpoint? = nil) async throws {
        var candidates = seeds.filter { $0 != avoided }
        for owner in owners.compactMap({ $0 }) where !candidates.contains(owner) && owner != avoided { candidates.append(owner) }
        for endpoint in candidates {
            guard let connection = try? await self.connection(endpoint),
                  let reply = try? await connection.send(RedisCommand("CLUSTER", "SLOTS")) else { continue }
            var fresh: [RedisEndpoint?] = Array(repeating: nil, count: KeySlot.count)
            for entry in reply.array ?? [] {
                guard let fields = entry.array, fields.count >= 3, let first = fields[0].int, let last = fields[1].int,
                      let node = fields[2].array, node.count >= 2, let host = node[0].string, let port = node[1].int
                else { continue }
                let endpoint = RedisEndpoint(host: host.isEmpty ? endpoint.host : host, port: Int(port))
                for slot in Int(first)...Int(last) where slot < KeySlot.count { fresh[slot] = endpoint }
            }
            // A node outside the cluster (reset, leaving) knows no slots: not a source of truth.
            guard fresh.contains(where: { $0 != nil }) else { continue }
            owners = fresh
            let known = Set(fresh.compactMap { $0 })
            seeds = Array(known).sorted { $0.description < $1.description } + seeds.filter { !known.contains($0) }
            return
        }
        throw GeneralFailure(.operationFailed, "no node answered CLUSTER SLOTS")
    }

    /// Writes `count` keys `<prefix><n>` with `valueSize`-byte values, pipelined per owning node.
    public func fill(count: Int, prefix: String, valueSize: Int) async throws {
        try await refresh()
        let value = String(repeating: "x", count: valueSize)
        var byOwner: [RedisEndpoint: [String]] = [:]
        for index in 0..<count {
            let key = "\(prefix)\(index)"
            guard let owner = owners[KeySlot.slot(for: key)] else {
                throw GeneralFailure(.operationFailed, "slot of \(key) has no owner")
            }
            byOwner[owner, default: []].append(key)
        }
        for (owner, keys) in byOwner {
            let connection = try await self.connection(owner)
            var start = 0
            while start < keys.count {
                let chunk = keys[start..<min(start + 1000, keys.count)]
                for reply in try await connection.pipeline(chunk.map { RedisCommand("SET", $0, value) }) { _ = try reply.get() }
                start += 1000
            }
        }
    }

    /// Keys on every master together (`DBSIZE` summed over the slot owners).
    public func totalKeys() async throws -> Int {
        try await refresh()
        var total = 0
        for owner in Set(owners.compactMap { $0 }) {
            total += Int(try await connection(owner).send(RedisCommand("DBSIZE")).int ?? 0)
        }
        return total
    }

    private func connection(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
        if let existing = connections[endpoint], existing.isActive { return existing }
        let connection = try await RedisConnection.connect(to: endpoint, options: options, dialer: dialer)
        connections[endpoint] = connection
        return connection
    }

    public func close() async {
        for connection in connections.values { await connection.close() }
        connections.removeAll()
    }
}

/// Writers that keep a cluster busy and remember every acknowledged write, to prove none was lost.
/// Each writer owns its keys: `<prefix>w<n>:<k>` get sequence-numbered values, `<prefix>c<n>:<k>` get
/// INCRs (a second set of writers on the same cluster takes another prefix).
public final class AcknowledgedWriters: @unchecked Sendable {
    private let lock = NSLock()
    private var lastAcknowledged: [String: Int] = [:]
    private var uncertainValues: [String: Set<Int>] = [:]
    private var increments: [String: Int] = [:]
    private var uncertainIncrements: [String: Int] = [:]
    private var stopped = false
    private var errors: [String] = []
    private var tasks: [Task<Void, Never>] = []
    public let clients: [ClusterTestClient]
    private let prefix: String

    public init(count: Int, seeds: [RedisEndpoint], password: String?, user: String? = nil,
                dialer: any RedisDialer = TCPDialer(), prefix: String = "") {
        self.prefix = prefix
        clients = (0..<count).map { _ in ClusterTestClient(seeds: seeds, password: password, user: user, dialer: dialer) }
    }

    public var acknowledgedWrites: Int { lock.withLock { lastAcknowledged.count + increments.values.reduce(0, +) } }
    public var failures: [String] { lock.withLock { errors } }

    /// `replicas`: a write counts as acknowledged once that many replicas confirm it (see `send`).
    public func start(keysPerWriter: Int = 400, counters: Int = 20, replicas: Int = 0) {
        for (index, client) in clients.enumerated() {
            tasks.append(Task {
                var sequence = 0
                while !self.isStopped {
                    sequence += 1
                    let key = "\(self.prefix)w\(index):\(sequence % keysPerWriter)"
                    do {
                        _ = try await client.send(key: key, RedisCommand("SET", key, String(sequence)), replicas: replicas)
                        self.record { $0.lastAcknowledged[key] = sequence; $0.uncertainValues[key] = nil }
                    } catch is ClusterTestClient.Uncertain {
                        self.record { $0.uncertainValues[key, default: []].insert(sequence) }
                    } catch {
                        self.record { $0.errors.append("SET \(key): \(error)") }
                    }
                    let counter = "\(self.prefix)c\(index):\(sequence % counters)"
                    do {
                        _ = try await client.send(key: counter, RedisCommand("INCR", counter), replicas: replicas)
                        self.record { $0.increments[counter, default: 0] += 1 }
                    } catch is ClusterTestClient.Uncertain {
                        self.record { $0.uncertainIncrements[counter, default: 0] += 1 }
                    } catch {
                        self.record { $0.errors.append("INCR \(counter): \(error)") }
                    }
                }
            })
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func record(_ change: (AcknowledgedWriters) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(self)
    }

    /// Starts the writers, runs `body`, and stops them however it ends.
    public func running<Result>(_ body: () async throws -> Result) async throws -> Result {
        start()
        do {
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    public func stop() async {
        lock.withLock { stopped = true }
        for task in tasks { await task.value }
        for client in clients { await client.close() }
    }

    /// Reads every key back; returns one line per lost or wrong write.
    public func check(using reader: ClusterTestClient) async throws -> [String] {
        let (values, uncertain, counts, uncertainCounts) = lock.withLock {
            (lastAcknowledged, uncertainValues, increments, uncertainIncrements)
        }
        var problems: [String] = []
        for (key, expected) in values.sorted(by: { $0.key < $1.key }) {
            let actual = try await reader.send(key: key, RedisCommand("GET", key)).string.flatMap { Int($0) }
            if actual != expected && !(actual.map { uncertain[key]?.contains($0) ?? false } ?? false) {
                problems.append("\(key): expected \(expected), found \(actual.map(String.init) ?? "nothing")")
            }
        }
        for (key, expected) in counts.sorted(by: { $0.key < $1.key }) {
            let actual = Int(try await reader.send(key: key, RedisCommand("GET", key)).string ?? "0") ?? 0
            let slack = uncertainCounts[key] ?? 0
            if actual < expected || actual > expected + slack {
                problems.append("\(key): \(expected) acknowledged INCRs (+\(slack) unknown), counter is \(actual)")
            }
        }
        return problems
    }
}
