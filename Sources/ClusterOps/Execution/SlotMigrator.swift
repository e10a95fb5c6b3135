import Foundation
import NIOCore
import RESP
import RedisCtlCore

/// Tuning of the slot migration engine.
public struct SlotMigrationOptions: Sendable {
    /// Keys asked for per `CLUSTER GETKEYSINSLOT`, and the most one MIGRATE carries.
    public var batchKeys: Int
    /// The most bytes (MEMORY USAGE) one MIGRATE carries; a bigger key travels alone.
    public var batchBytes: Int
    /// MIGRATE's timeout for a normal batch (it bounds each I/O step with the target, not the whole call).
    public var baseTimeoutMs: Int
    /// Assumed slowest transfer rate, to size the timeout of a big key or batch.
    public var minimumBytesPerSecond: Int
    /// Attempts per MIGRATE on I/O errors before giving up.
    public var attempts: Int
    /// Slots opened, moved and handed over together: every SETSLOT step of a batch is one pipeline
    /// per node, so one nodes.conf fsync per node instead of one per slot. Larger batches keep more
    /// slots in the ASK state at once.
    public var slotsPerBatch: Int
    /// Batches of one (source, target) pair in flight at once, each on its own connections, so one
    /// batch's fsyncs overlap another's MIGRATEs.
    public var batchesInFlightPerPair: Int
    /// When a source's keys average at most this many bytes (INFO memory / DBSIZE), its keys move
    /// without a MEMORY USAGE per key: batches by count, with the base timeout, and only a MIGRATE
    /// that fails is sized and sent again. Above it every key is sized first. 0 always sizes.
    public var unsizedAverageKeyBytes: Int

    public init(batchKeys: Int = 1000, batchBytes: Int = 8 << 20, baseTimeoutMs: Int = 10_000,
                minimumBytesPerSecond: Int = 10 << 20, attempts: Int = 5, slotsPerBatch: Int = 256,
                batchesInFlightPerPair: Int = 4, unsizedAverageKeyBytes: Int = 2048) {
        self.unsizedAverageKeyBytes = unsizedAverageKeyBytes
        self.slotsPerBatch = max(1, slotsPerBatch)
        self.batchesInFlightPerPair = max(1, batchesInFlightPerPair)
        self.batchKeys = batchKeys
        self.batchBytes = batchBytes
        self.baseTimeoutMs = baseTimeoutMs
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.attempts = attempts
    }

    /// MIGRATE's timeout for `bytes` of payload.
    public func timeoutMs(forBytes bytes: Int) -> Int {
        baseTimeoutMs + Int((Double(bytes) / Double(max(minimumBytesPerSecond, 1)) * 1000).rounded(.up))
    }
}

/// Keys of one slot cut into MIGRATE batches by count and by bytes (pure, for tests).
public enum MigrationBatches {
    public static func split(sizes: [Int], maxKeys: Int, maxBytes: Int) -> [Range<Int>] {
        var batches: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, size) in sizes.enumerated() {
            let count = index - start
            if count > 0, count >= maxKeys || bytes + size > maxBytes {
                batches.append(start..<index)
                start = index
                bytes = 0
            }
            bytes += size
        }
        if start < sizes.count { batches.append(start..<sizes.count) }
        return batches
    }

    /// Whether a source's keys are sized one by one before they move: only when they average more
    /// than `threshold` bytes (or the source's numbers are unknown).
    public static func sizesKeys(datasetBytes: Int?, keys: Int?, threshold: Int) -> Bool {
        guard threshold > 0, let datasetBytes, let keys else { return true }
        guard keys > 0 else { return false }
        return datasetBytes / keys > threshold
    }
}

/// Moves slots between masters without losing a key: `SETSLOT IMPORTING` on the target, then
/// `MIGRATING` on the source, keys moved with `GETKEYSINSLOT` + `MIGRATE ... KEYS`, then `SETSLOT NODE`
/// on the target, the source and every other master. Transfers between different node pairs run at
/// once; the slots of one pair go one after the other.
public struct SlotMigrator: Sendable {
    public let connector: NodeConnector
    public let options: SlotMigrationOptions
    public let progress: any ProgressReporter

    public init(connector: NodeConnector, options: SlotMigrationOptions = .init(), progress: any ProgressReporter) {
        self.connector = connector
        self.options = options
        self.progress = progress
    }

    /// Runs the transfers. `endpoints` maps every master's node id to its address; `masters` are all
    /// the masters to tell about new owners.
    @discardableResult
    public func run(_ transfers: [SlotTransfer], endpoints: [String: RedisEndpoint], masters: [String],
                    deadline: Deadline) async throws -> MigrationProgress {
        let totalSlots = transfers.reduce(0) { $0 + $1.slots.count }
        let totalKeys = try await countKeys(transfers, endpoints: endpoints)
        let counter = MigrationProgress(reporter: progress, totalSlots: totalSlots, totalKeys: totalKeys)
        guard totalSlots > 0 else { return counter }
        progress.step("moving \(totalSlots) slots (\(totalKeys) keys) in \(transfers.count) transfer(s)")
        // One lane per (source, target) pair.
        var lanes: [String: [SlotTransfer]] = [:]
        for transfer in transfers { lanes[transfer.source + ">" + transfer.target, default: []].append(transfer) }
        try await withNodeConnectionPool(connector) { announcer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in lanes.keys.sorted() {
                    let lane = lanes[key] ?? []
                    group.addTask {
                        try await runLane(lane, endpoints: endpoints, masters: masters, announcer: announcer,
                                          counter: counter, deadline: deadline)
                    }
                }
                try await group.waitForAll()
            }
        }
        return counter
    }

    private func countKeys(_ transfers: [SlotTransfer], endpoints: [String: RedisEndpoint]) async throws -> Int {
        var total = 0
        for transfer in transfers {
            guard let endpoint = endpoints[transfer.source] else { continue }
            let replies = try await connector.withConnection(endpoint) { connection in
                try await connection.pipeline(transfer.slots.map { RedisCommand("CLUSTER", "COUNTKEYSINSLOT", String($0)) })
            }
            total += replies.reduce(0) { $0 + Int((try? $1.get().int) ?? 0) }
        }
        return total
    }

    private func runLane(_ lane: [SlotTransfer], endpoints: [String: RedisEndpoint], masters: [String],
                         announcer: NodeConnectionPool, counter: MigrationProgress, deadline: Deadline) async throws {
        guard let first = lane.first else { return }
        let source = try endpoint(first.source, endpoints)
        let target = try endpoint(first.target, endpoints)
        let queue = SlotQueue(lane.flatMap(\.slots))
        let workers = min(options.batchesInFlightPerPair, (queue.count + options.slotsPerBatch - 1) / options.slotsPerBatch)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    let pair = try await openPair(sourceId: first.source, source: source, targetId: first.target, target: target)
                    do {
                        while case let batch = queue.next(options.slotsPerBatch), !batch.isEmpty {
                            if deadline.hasPassed {
                                throw GeneralFailure(.operationFailed,
                                    "timed out moving slots from \(source) to \(target); run scale again to finish the move")
                            }
                            try await migrateSlots(batch, pair: pair, endpoints: endpoints, masters: masters,
                                                   announcer: announcer, counter: counter)
                            counter.movedSlots(batch.count)
                        }
                    } catch {
                        queue.drain()
                        await pair.close()
                        throw error
                    }
                    await pair.close()
                }
            }
            try await group.waitForAll()
        }
    }

    private func openPair(sourceId: String, source: RedisEndpoint, targetId: String, target: RedisEndpoint) async throws -> SlotPair {
        // MIGRATE of a big key may take long; the connection waits as long as the deadline allows.
        var sourceOptions = connector.options
        sourceOptions.commandTimeout = max(connector.options.commandTimeout, .seconds(300))
        let sourceConnection = try await RedisConnection.connect(to: source, options: sourceOptions, dialer: connector.dialer)
        do {
            let stats = try await sourceConnection.pipeline([RedisCommand("INFO", "memory"), RedisCommand("DBSIZE")])
            let memory = InfoSections.parse((try? stats[0].get().string) ?? "")
            let keys = (try? stats[1].get().int).flatMap { $0 }
            let sizesKeys = MigrationBatches.sizesKeys(datasetBytes: memory.int("used_memory_dataset").map { Int($0) },
                                                       keys: keys.map { Int($0) }, threshold: options.unsizedAverageKeyBytes)
            let replication = InfoSections.parse((try? await sourceConnection.send(RedisCommand("INFO", "replication")).string) ?? "")
            let targetConnection = try await connector.connect(target)
            return SlotPair(sourceId: sourceId, targetId: targetId, source: sourceConnection, target: targetConnection,
                            sizesKeys: sizesKeys, sourceReplicas: Int(replication.int("connected_slaves") ?? 0))
        } catch {
            await sourceConnection.close()
            throw error
        }
    }

    private func endpoint(_ id: String, _ endpoints: [String: RedisEndpoint]) throws -> RedisEndpoint {
        guard let endpoint = endpoints[id] else {
            throw GeneralFailure(.operationFailed, "node \(id) is not a reachable master; check the cluster with verify")
        }
        return endpoint
    }

    /// Moves a batch of slots of one pair; also finishes slots a previous run left half-moved (every
    /// step is repeatable). Each step is one pipeline per node: Redis writes and fsyncs nodes.conf once
    /// per event-loop pass, not once per SETSLOT, which is what bounds a slot-by-slot rebalance.
    func migrateSlots(_ slots: [Int], pair: SlotPair, endpoints: [String: RedisEndpoint], masters: [String],
                      announcer: NodeConnectionPool, counter: MigrationProgress) async throws {
        let where_ = "from \(pair.source.endpoint) to \(pair.target.endpoint)"
        // 1. IMPORTING on the target. A slot it already owns was moved by an earlier run.
        var open: [Int] = []
        var alreadyMoved: [Int] = []
        let importing = try await pair.target.pipeline(slots.map {
            RedisCommand("CLUSTER", "SETSLOT", String($0), "IMPORTING", pair.sourceId)
        })
        for (slot, reply) in zip(slots, importing) {
            switch reply {
            case .success: open.append(slot)
            case .failure(let error) where error.slotAlreadyOwned: alreadyMoved.append(slot)
            case .failure(let error):
                throw GeneralFailure(.operationFailed, "slot \(slot): SETSLOT IMPORTING \(where_) failed: \(error.message); run scale again")
            }
        }
        // 2. MIGRATING on the source.
        let migrating = try await pair.source.pipeline(open.map {
            RedisCommand("CLUSTER", "SETSLOT", String($0), "MIGRATING", pair.targetId)
        })
        for (slot, reply) in zip(open, migrating) {
            if case .failure(let error) = reply {
                throw GeneralFailure(.operationFailed, "slot \(slot): SETSLOT MIGRATING \(where_) failed: \(error.message); run scale again")
            }
        }
        // 3. The keys. While a slot is MIGRATING the source creates no new keys in it (clients are
        //    sent to the target with ASK), so a slot that returned fewer keys than asked is empty
        //    once they are moved.
        var pending = open
        while !pending.isEmpty {
            let replies = try await pair.source.pipeline(pending.map {
                RedisCommand("CLUSTER", "GETKEYSINSLOT", String($0), String(options.batchKeys))
            })
            var keys: [(slot: Int, keys: [ByteBuffer])] = []
            var full: [Int] = []
            for (slot, reply) in zip(pending, replies) {
                let slotKeys = (try reply.get().array ?? []).compactMap(\.bytes)
                if !slotKeys.isEmpty { keys.append((slot, slotKeys)) }
                if slotKeys.count >= options.batchKeys { full.append(slot) }
            }
            if !keys.isEmpty { try await migrateKeys(keys, pair: pair, counter: counter) }
            pending = full
        }
        // 4. SETSLOT NODE on the target, then the source (it refuses while it still holds keys of
        //    the slot), then every other master, so no client is sent back and forth.
        let settled = open + alreadyMoved
        guard !settled.isEmpty else { return }
        let assign = settled.map { RedisCommand("CLUSTER", "SETSLOT", String($0), "NODE", pair.targetId) }
        for (connection, role) in [(pair.target, "target"), (pair.source, "source")] {
            for (slot, reply) in zip(settled, try await connection.pipeline(assign)) {
                // A source whose last slot just went (here or in a parallel batch) turns into a replica
                // of the new owner (cluster-allow-replica-migration) and follows the cluster from then on.
                if case .failure(let error) = reply, role == "source", error.setSlotNeedsMaster { continue }
                if case .failure(let error) = reply {
                    throw GeneralFailure(.operationFailed,
                        "slot \(slot): SETSLOT NODE on the \(role) \(connection.endpoint) failed: \(error.message); run scale again")
                }
            }
        }
        let others = masters.filter { $0 != pair.sourceId && $0 != pair.targetId }.compactMap { endpoints[$0] }
        await withTaskGroup(of: Void.self) { group in
            for endpoint in others {
                group.addTask {
                    do {
                        _ = try await announcer.connection(endpoint).pipeline(assign)
                    } catch {
                        // The cluster bus spreads the new owner anyway; this only makes it immediate.
                        progress.detail("\(endpoint): SETSLOT NODE failed (\(error)); gossip will tell it")
                    }
                }
            }
        }
    }

    /// Pipelines one MIGRATE per slot's keys (a MIGRATE carries keys of one slot only); the source
    /// runs them one after the other. Keys are sized first (MEMORY USAGE, one pipeline) only on a
    /// source with big keys on average; elsewhere a MIGRATE that fails, maybe on a big key, is sized
    /// and sent again in byte-bounded batches, with the retry rules of `migrate`.
    private func migrateKeys(_ keysBySlot: [(slot: Int, keys: [ByteBuffer])], pair: SlotPair,
                             counter: MigrationProgress) async throws {
        let batches: [(slot: Int, keys: [ByteBuffer], bytes: Int)]
        if pair.sizesKeys {
            batches = try await sizedBatches(keysBySlot, pair: pair)
        } else {
            batches = keysBySlot.flatMap { slot, keys in
                stride(from: 0, to: keys.count, by: options.batchKeys).map {
                    (slot, Array(keys[$0..<min($0 + options.batchKeys, keys.count)]), 0)
                }
            }
        }
        let replies = try await pair.source.pipeline(batches.map {
            migrateCommand($0.keys, bytes: $0.bytes, target: pair.target.endpoint, replace: false)
        })
        for (batch, reply) in zip(batches, replies) {
            if case .failure = reply {
                let retries = pair.sizesKeys ? [batch] : try await sizedBatches([(batch.slot, batch.keys)], pair: pair)
                for retry in retries {
                    try await migrate(retry.keys, bytes: retry.bytes, slots: [retry.slot], pair: pair)
                }
            }
            counter.movedKeys(batch.keys.count)
        }
        // The source's replicas get MIGRATE's deletions before the slots change hands: should the
        // source die now, its promoted replica must not serve (and later send back over the
        // target's) copies of keys that already moved.
        if pair.sourceReplicas > 0, !batches.isEmpty {
            let confirmed = try await pair.source.send(RedisCommand("WAIT", String(pair.sourceReplicas), String(options.baseTimeoutMs)))
            if (confirmed.int ?? 0) < Int64(pair.sourceReplicas) {
                progress.detail("\(pair.source.endpoint): \(confirmed.int ?? 0)/\(pair.sourceReplicas) replicas confirmed the moved keys' removal in time")
            }
        }
    }

    /// Sizes the keys (MEMORY USAGE, one pipeline) and cuts each slot's keys into MIGRATE batches by
    /// count and by bytes. A key already gone sizes as 0 (MIGRATE skips it).
    private func sizedBatches(_ keysBySlot: [(slot: Int, keys: [ByteBuffer])],
                              pair: SlotPair) async throws -> [(slot: Int, keys: [ByteBuffer], bytes: Int)] {
        let all = keysBySlot.flatMap(\.keys)
        var sizes = try await pair.source.pipeline(all.map { key in
            RedisCommand([ByteBuffer(string: "MEMORY"), ByteBuffer(string: "USAGE"), key,
                          ByteBuffer(string: "SAMPLES"), ByteBuffer(string: "0")])
        }).map { Int((try? $0.get().int) ?? 0) }[...]
        var batches: [(slot: Int, keys: [ByteBuffer], bytes: Int)] = []
        for (slot, keys) in keysBySlot {
            let slotSizes = Array(sizes.prefix(keys.count))
            sizes = sizes.dropFirst(keys.count)
            for range in MigrationBatches.split(sizes: slotSizes, maxKeys: options.batchKeys, maxBytes: options.batchBytes) {
                batches.append((slot, Array(keys[range]), slotSizes[range].reduce(0, +)))
            }
        }
        return batches
    }

    /// One MIGRATE, retried on I/O errors. BUSYKEY means an earlier MIGRATE copied a key but did not
    /// get to delete it from the source: the source's copy is still the live one, so it is sent again
    /// with REPLACE, and only the keys the source still holds.
    private func migrate(_ keys: [ByteBuffer], bytes: Int, slots: [Int], pair: SlotPair) async throws {
        let slot = slots.count == 1 ? "slot \(slots[0])" : "slots \(SlotRange.describe(SlotRange.ranges(covering: slots)))"
        var pending = keys
        var replace = false
        var attempt = 0
        while !pending.isEmpty {
            attempt += 1
            do {
                _ = try await pair.source.send(migrateCommand(pending, bytes: bytes, target: pair.target.endpoint,
                                                              replace: replace))
                return
            } catch let error as RedisError where error.isBusyKey && attempt < options.attempts + 2 {
                let exists = try await pair.source.pipeline(pending.map { RedisCommand([ByteBuffer(string: "EXISTS"), $0]) })
                pending = zip(pending, exists).filter { (try? $0.1.get().int) == 1 }.map(\.0)
                replace = true
            } catch let error as RedisError where error.isTransientMigrationFailure && attempt < options.attempts {
                progress.detail("\(slot): MIGRATE to \(pair.target.endpoint) failed (\(error.message)); retrying")
                try await Task.sleep(for: .milliseconds(100 * attempt))
            } catch let error as RedisError {
                throw GeneralFailure(.operationFailed,
                    "\(slot): MIGRATE from \(pair.source.endpoint) to \(pair.target.endpoint) failed: \(error.message); run scale again to finish the move")
            }
        }
    }


    private func migrateCommand(_ keys: [ByteBuffer], bytes: Int, target: RedisEndpoint, replace: Bool) -> RedisCommand {
        var parts = ["MIGRATE", target.host, String(target.port), "", "0", String(options.timeoutMs(forBytes: bytes))]
        if replace { parts.append("REPLACE") }
        if let password = connector.options.password {
            if let user = connector.options.user {
                parts += ["AUTH2", user, password]
            } else {
                parts += ["AUTH", password]
            }
        }
        parts.append("KEYS")
        return RedisCommand(parts.map { ByteBuffer(string: $0) } + keys)
    }
}

/// The two dedicated connections of one worker of a (source, target) lane.
struct SlotPair: Sendable {
    let sourceId: String
    let targetId: String
    let source: RedisConnection
    let target: RedisConnection
    /// Keys are sized (MEMORY USAGE) before they move: the source's keys are big on average.
    let sizesKeys: Bool
    /// Replicas the source had when the pair opened: MIGRATE's deletions must reach them.
    let sourceReplicas: Int

    func close() async {
        await source.close()
        await target.close()
    }
}

/// The slots of one lane, handed out to its workers in order.
final class SlotQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Int]
    private var index = 0

    init(_ slots: [Int]) { self.slots = slots }

    var count: Int { lock.withLock { slots.count - index } }

    /// Up to `count` slots; empty when none are left.
    func next(_ count: Int) -> [Int] {
        lock.withLock {
            let end = min(index + count, slots.count)
            defer { index = end }
            return Array(slots[index..<end])
        }
    }

    /// Stops the other workers after a failure.
    func drain() { lock.withLock { index = slots.count } }
}
