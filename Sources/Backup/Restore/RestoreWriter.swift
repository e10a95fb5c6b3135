import Foundation
import RedisCtlCore
import RESP

/// The write phase of a restore for one RDB file: its functions on every master, then its keys in
/// pipelined batches. Each master has its own sender task with at most `batchesInFlightPerMaster`
/// batches awaiting replies, so a slow master never stalls the others; the reading side waits only
/// when as many batches as all senders may hold are outstanding. Used by one task; files restored
/// in parallel have one writer each.
final class RestoreWriter {
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
    private var restoredPerMaster: [Int]
    private var libraries: [String] = []
    private var queues: [AsyncStream<EncodedBatch>.Continuation] = []
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
        restoredPerMaster = Array(repeating: 0, count: router.masters.count)
        (completions, completionSink) = AsyncThrowingStream.makeStream(of: BatchDone.self)
        completionIterator = completions.makeAsyncIterator()
        // In flight on each sender, plus one queued behind them.
        maxOutstanding = router.masters.count * (options.batchesInFlightPerMaster + 1)
    }

    func restore(path: String) async throws -> Outcome {
        let reader = try await RDBBatchReader.open(path: path, encoder: RestoreEncoder(router: router, options: options))
        var file = RestoreReport.FileReport(path: path, rdbVersion: reader.rdbVersion, keysRead: 0, keysRestored: 0,
                                            keysExpiredSkipped: 0, bytes: 0)
        let readStep = { @Sendable [options] in
            try await reader.nextEncoded(minimumBytes: options.maxBatchBytes)
        }
        startSenders()
        do {
            var nextRead = Task { try await readStep() }
            while true {
                let step = try await nextRead.value
                // Read and encode ahead while this step is written.
                if !step.finished { nextRead = Task { try await readStep() } }
                for function in step.functions { try await load(function) }
                for batch in step.batches { try await submit(batch) }
                file.keysRead += step.keysRead
                file.keysExpiredSkipped += step.keysExpiredSkipped
                file.bytes = step.bytesRead
                meter.read(path, bytes: step.bytesRead)
                if step.finished { break }
                try Task.checkCancellation()
                if deadline.hasPassed {
                    throw GeneralFailure(.operationFailed, "restore of \(path) did not finish in time: \(meter.restoredTotal) keys restored so far, which stay; raise --timeout and restore again with --replace")
                }
            }
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
                throw GeneralFailure(.operationFailed, "loading function library \(function.libraryName ?? "(unnamed)") on master \(router.masters[index].address) failed: \(error.serverMessage ?? error.message)")
            }
        }
        libraries.append(function.libraryName ?? String(decoding: function.code, as: UTF8.self))
    }

    // MARK: Keys

    /// Hands a batch to its master's sender, first waiting while too many are outstanding.
    private func submit(_ batch: EncodedBatch) async throws {
        while outstanding >= maxOutstanding { try await awaitCompletion() }
        queues[batch.master].yield(batch)
        outstanding += 1
    }

    private func awaitCompletion() async throws {
        guard let done = try await completionIterator.next() else {
            throw GeneralFailure(.operationFailed, "restore stopped: the senders ended with batches outstanding")
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
            let (stream, queue) = AsyncStream.makeStream(of: EncodedBatch.self)
            queues.append(queue)
            let connection = connections[master]
            let address = router.masters[master].address
            senders.append(Task {
                var inFlight: [Task<Int, any Error>] = []
                do {
                    for await batch in stream {
                        inFlight.append(Task { try await send(batch, on: connection, master: address) })
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

/// Sends one encoded batch with one write; returns how many keys were restored, or throws for the
/// first refusal.
private func send(_ batch: EncodedBatch, on connection: RedisConnection, master: String) async throws -> Int {
    let writes = batch.writes
    let replies = try await connection.sendEncoded(batch.bytes, replies: writes.count) { writes[$0].commandName }
    for (write, reply) in zip(batch.writes, replies) {
        if let refusal = RestoreRefusal.of(write, reply: reply) {
            throw await refusal.failure(of: write, in: batch.bytes, on: connection, master: master)
        }
    }
    return batch.keys
}
