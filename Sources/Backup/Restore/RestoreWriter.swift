import Foundation
import RESP
import RedisCtlCore

/// The write phase of a restore for one RDB file: its functions on every master, then its keys in
/// pipelined batches per master, at most `batchesInFlightPerMaster` batches awaiting replies on
/// each. Used by one task; files restored in parallel have one writer each.
final class RestoreWriter {
    private struct PendingBatch {
        var commands: [RedisCommand] = []
        var keys: [[UInt8]] = []
        var bytes = 0
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
    private var inFlight: [[Task<Int, any Error>]]
    private var restoredPerMaster: [Int]
    private var libraries: [String] = []

    init(router: SlotRouter, connections: [RedisConnection], options: RestoreOptions, meter: RestoreProgressMeter, deadline: Deadline) {
        self.router = router
        self.connections = connections
        self.options = options
        self.meter = meter
        self.deadline = deadline
        pending = Array(repeating: PendingBatch(), count: router.masters.count)
        inFlight = Array(repeating: [], count: router.masters.count)
        restoredPerMaster = Array(repeating: 0, count: router.masters.count)
    }

    func restore(path: String) async throws -> Outcome {
        let reader = try await RDBBatchReader.open(path: path, payloads: true)
        var file = RestoreReport.FileReport(path: path, rdbVersion: reader.rdbVersion, keysRead: 0, keysRestored: 0,
                                            keysExpiredSkipped: 0, bytes: 0)
        let readBatch = { @Sendable [options] in
            try await reader.nextBatch(maxItems: options.pipelineDepth * 4, maxBytes: options.maxBatchBytes)
        }
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
            for master in inFlight.indices { try await awaitInFlight(master, keeping: 0) }
        } catch {
            await abandonInFlight()
            throw error
        }
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

    /// Sends the master's pending batch, first waiting for room among its batches in flight.
    private func flush(_ master: Int) async throws {
        guard !pending[master].commands.isEmpty else { return }
        try await awaitInFlight(master, keeping: options.batchesInFlightPerMaster - 1)
        let commands = pending[master].commands
        let keys = pending[master].keys
        pending[master] = PendingBatch()
        let connection = connections[master]
        let address = router.masters[master].address
        inFlight[master].append(Task {
            try await sendBatch(commands, keys: keys, on: connection, master: address)
        })
    }

    private func awaitInFlight(_ master: Int, keeping: Int) async throws {
        while inFlight[master].count > keeping {
            let restored = try await inFlight[master].removeFirst().value
            restoredPerMaster[master] += restored
            meter.restored(restored)
        }
    }

    /// After a failure: let the batches already sent finish (their keys are written either way).
    private func abandonInFlight() async {
        for master in inFlight.indices {
            for task in inFlight[master] {
                if let restored = try? await task.value { meter.restored(restored) }
            }
            inFlight[master] = []
        }
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
