import Foundation
import RESP
import RedisCtlCore

/// The write phase of a restore for one RDB file: its functions on every master, then its keys in
/// pipelined batches. Each master has its own sender task with at most `batchesInFlightPerMaster`
/// batches awaiting replies, so a slow master never stalls the others; the reading side waits only
/// when as many batches as all senders may hold are outstanding. Used by one task; files restored
/// in parallel have one writer each.
final class RestoreWriter {
    struct PendingBatch: Sendable {
        var commands: [RedisCommand] = []
        var keys: [[UInt8]] = []
        var bytes = 0
    }

    private struct BatchDone: Sendable {
        var master: Int
        var restored: Int
    }

    struct Outcome: Sendable {
        var file: RestoreReport.FileReport
        var restoredPerMaster: [Int]
        /// Names (or code, for an unnamed library) of the libraries loaded.
        var libraries: [String]
    }

    private let router: SlotRouter
    private let connections: [RedisConnection]
    private let options: RestoreOptions
    private let meter: RestoreProgressMeter
    private let deadline: Deadline
    private var pending: [PendingBatch]
    private var restoredPerMaster: [Int]
    private var libraries: [String] = []
    private var queues: [AsyncStream<PendingBatch>.Continuation] = []
    private var senders: [Task<Void, Never>] = []
    private let completions: AsyncThrowingStream<BatchDone, any Error>
    private let completionSink: AsyncThrowingStream<BatchDone, any Error>.Continuation
    private var completionIterator: AsyncThrowingStream<BatchDone, any Error>.AsyncIterator
    private var outstanding = 0
    private let maxOutstanding: Int

    init(router: SlotRouter, connections: [RedisConnection], options: RestoreOptions, meter: RestoreProgressMeter, deadline: Deadline) {
        self.router = router
        self.connections = connections
        self.options = options
        self.meter = meter
        self.deadline = deadline
        pending = Array(repeating: PendingBatch(), count: router.masters.count)
        restoredPerMaster = Array(repeating: 0, count: router.masters.count)
        (completions, completionSink) = AsyncThrowingStream.makeStream(of: BatchDone.self)
        completionIterator = completions.makeAsyncIterator()
        // In flight on each sender, plus one queued behind them.
        maxOutstanding = router.masters.count * (options.batchesInFlightPerMaster + 1)
    }

    func restore(path: String) async throws -> Outcome {
        let reader = try await RDBBatchReader.open(path: path, payloads: true)
        var file = RestoreReport.FileReport(path: path, rdbVersion: reader.rdbVersion, keysRead: 0, keysRestored: 0,
                                            keysExpiredSkipped: 0, bytes: 0)
        let readBatch = { @Sendable [options] in
            try await reader.nextBatch(maxItems: options.pipelineDepth * 4, maxBytes: options.maxBatchBytes)
        }
        startSenders()
        do {
            var nextRead = Task { try await readBatch() }
            while true {
                let batch = try await nextRead.value
                // Read ahead while this batch is written.
                if !batch.finished { nextRead = Task { try await readBatch() } }
                let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
                for item in batch.items {
                    switch item {
                    case .function(let function):
                        try await load(function)
                    case .entry(let entry):
                        file.keysRead += 1
                        guard entry.database == 0 else {
                            throw BackupError(.cannotRun, "\(path): key \(entry.displayKey) is in database \(entry.database); a cluster has only database 0")
                        }
                        if RestoreCommand.isExpired(entry, nowMs: nowMs) {
                            file.keysExpiredSkipped += 1
                        } else {
                            try await add(entry)
                        }
                    }
                }
                file.bytes = batch.bytesRead
                meter.read(path, bytes: batch.bytesRead)
                if batch.finished { break }
                try Task.checkCancellation()
                if deadline.hasPassed {
                    throw BackupError(.operationFailed, "restore of \(path) did not finish in time: \(meter.restoredTotal) keys restored so far, which stay; raise --timeout and restore again with --replace")
                }
            }
            for master in pending.indices { try await flush(master) }
            // Senders report their last batches once their queue ends.
            for queue in queues { queue.finish() }
            while outstanding > 0 { try await awaitCompletion() }
        } catch {
            // Let the batches already sent finish (their keys are written either way), then report.
            await stopSenders()
            throw error
        }
        await stopSenders()
        file.keysRestored = restoredPerMaster.reduce(0, +)
        return Outcome(file: file, restoredPerMaster: restoredPerMaster, libraries: libraries)
    }

    // MARK: Functions

    private func load(_ function: RDBFunction) async throws {
        let command = RedisCommand(bytes: [Array("FUNCTION".utf8), Array("LOAD".utf8), Array("REPLACE".utf8), function.code])
        for (index, connection) in connections.enumerated() {
            do {
                _ = try await connection.send(command)
            } catch let error as RedisError {
                throw BackupError(.operationFailed, "loading function library \(function.libraryName ?? "(unnamed)") on master \(router.masters[index].address) failed: \(error.serverMessage ?? error.message)")
            }
        }
        libraries.append(function.libraryName ?? String(decoding: function.code, as: UTF8.self))
    }

    // MARK: Keys

    private func add(_ entry: RDBEntry) async throws {
        let master = router.masterIndex(forKey: entry.key)
        pending[master].commands.append(RestoreCommand.make(entry, replace: options.replace))
        pending[master].keys.append(entry.key)
        pending[master].bytes += entry.dumpPayload.count + entry.key.count
        if pending[master].commands.count >= options.pipelineDepth || pending[master].bytes >= options.maxBatchBytes {
            try await flush(master)
        }
    }

    /// Hands the master's pending batch to its sender, first waiting while too many are outstanding.
    private func flush(_ master: Int) async throws {
        guard !pending[master].commands.isEmpty else { return }
        while outstanding >= maxOutstanding { try await awaitCompletion() }
        queues[master].yield(pending[master])
        pending[master] = PendingBatch()
        outstanding += 1
    }

    private func awaitCompletion() async throws {
        guard let done = try await completionIterator.next() else {
            throw BackupError(.operationFailed, "restore stopped: the senders ended with batches outstanding")
        }
        outstanding -= 1
        restoredPerMaster[done.master] += done.restored
        meter.restored(done.restored)
    }

    /// One sender per master: sends batches as they come, at most `batchesInFlightPerMaster` awaiting
    /// replies; the first refusal ends the completion stream with its error.
    private func startSenders() {
        let depth = options.batchesInFlightPerMaster
        let sink = completionSink
        for master in router.masters.indices {
            let (stream, queue) = AsyncStream.makeStream(of: PendingBatch.self)
            queues.append(queue)
            let connection = connections[master]
            let address = router.masters[master].address
            senders.append(Task {
                var inFlight: [Task<Int, any Error>] = []
                do {
                    for await batch in stream {
                        inFlight.append(Task { try await sendBatch(batch.commands, keys: batch.keys, on: connection, master: address) })
                        if inFlight.count >= depth {
                            sink.yield(BatchDone(master: master, restored: try await inFlight.removeFirst().value))
                        }
                    }
                    while !inFlight.isEmpty {
                        sink.yield(BatchDone(master: master, restored: try await inFlight.removeFirst().value))
                    }
                } catch {
                    for task in inFlight { _ = try? await task.value }
                    sink.finish(throwing: error)
                }
            })
        }
    }

    private func stopSenders() async {
        for queue in queues { queue.finish() }
        for sender in senders { await sender.value }
        queues = []
        senders = []
        completionSink.finish()
    }
}

/// Sends one pipelined batch; returns how many keys were restored, or throws for the first refusal.
private func sendBatch(_ commands: [RedisCommand], keys: [[UInt8]], on connection: RedisConnection, master: String) async throws -> Int {
    let replies = try await connection.pipeline(commands)
    for (index, reply) in replies.enumerated() {
        if case .failure(let error) = reply {
            throw RestoreWriter.failure(error, key: keys[index], master: master)
        }
    }
    return replies.count
}

extension RestoreWriter {
    /// One line for a refused RESTORE, naming the key and the master.
    static func failure(_ error: RedisError, key: [UInt8], master: String) -> BackupError {
        let name = RDBEntry.display(key)
        let text = error.serverMessage ?? error.message
        switch error.kind {
        case .busyKey:
            return BackupError(.operationFailed, "key \"\(name)\" already exists on master \(master) (written after the restore started); the keys restored so far stay; restore again with --replace to overwrite")
        case .moved(let slot, let target):
            return BackupError(.operationFailed, "slot \(slot) of key \"\(name)\" moved from \(master) to \(target) during the restore; wait for the cluster to settle and restore again with --replace")
        default:
            if text.contains("payload version or checksum") {
                return BackupError(.cannotRun, "master \(master) refused the payload of key \"\(name)\" (\(text)): its Redis cannot read this RDB version; restore into a Redis at least as new as the one backed up")
            }
            return BackupError(.operationFailed, "RESTORE of key \"\(name)\" failed on master \(master): \(text)")
        }
    }
}
