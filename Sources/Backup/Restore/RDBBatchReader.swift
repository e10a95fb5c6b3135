import Foundation
import NIOPosix
import RedisCtlCore

/// Reads an RDB file in batches on NIO's blocking-I/O thread pool, so file reads and parsing never
/// block the cooperative thread pool. Batches are read one at a time (the caller awaits each).
final class RDBBatchReader: @unchecked Sendable {
    struct Batch: Sendable {
        var items: [RDBItem]
        var payloadBytes: Int
        var bytesRead: Int64
        var finished: Bool
    }

    /// A stretch of the file turned into commands by a `RestoreEncoder`.
    struct EncodedStep: Sendable {
        var batches: [EncodedBatch] = []
        var functions: [RDBFunction] = []
        var keysRead = 0
        var keysExpiredSkipped = 0
        var bytesRead: Int64 = 0
        var finished = false
    }

    let path: String
    private let reader: RDBFileReader
    /// Set by `open(path:encoder:)`: turns what `nextEncoded` reads into commands.
    private var encoder: RestoreEncoder?

    /// Opens the file and reads its header (blocking: done on the thread pool).
    static func open(path: String, payloads: Bool, decodesStrings: Bool = false) async throws -> RDBBatchReader {
        try await NIOThreadPool.singleton.runIfActive {
            RDBBatchReader(path: path, reader: try RDBFileReader(path: path, payloads: payloads, decodesStrings: decodesStrings))
        }
    }

    /// Opens the file for `nextEncoded`: string values decoded unless `encoder` keeps access stats.
    static func open(path: String, encoder: RestoreEncoder) async throws -> RDBBatchReader {
        let reader = try await open(path: path, payloads: true, decodesStrings: !encoder.keepsAccessStats)
        reader.encoder = encoder
        return reader
    }

    private init(path: String, reader: RDBFileReader) {
        self.path = path
        self.reader = reader
    }

    var rdbVersion: Int { reader.header.rdbVersion }
    var totalBytes: Int64? { reader.totalBytes }

    /// Up to `maxItems` items or about `maxBytes` of payload, whichever comes first.
    func nextBatch(maxItems: Int, maxBytes: Int) async throws -> Batch {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            var batch = Batch(items: [], payloadBytes: 0, bytesRead: 0, finished: false)
            while batch.items.count < maxItems, batch.payloadBytes < maxBytes {
                guard let item = try reader.next() else {
                    batch.finished = true
                    break
                }
                if case .entry(let entry) = item { batch.payloadBytes += entry.dumpPayload.count + entry.key.count }
                batch.items.append(item)
            }
            batch.bytesRead = reader.bytesRead
            return batch
        }
    }

    /// Reads and encodes keys until the encoder has sealed about `minimumBytes` of batches, a function
    /// library was read, or the file ends (then every batch is sealed). Keys whose absolute expiry
    /// has passed are counted and skipped.
    func nextEncoded(minimumBytes: Int) async throws -> EncodedStep {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            guard var encoder = self.encoder else {
                throw GeneralFailure(.operationFailed, "\(path): internal error: the file was not opened for encoding")
            }
            // Worked on as a local (unique, so never copied) and put back at the end of the step.
            self.encoder = nil
            defer { self.encoder = encoder }
            var step = EncodedStep()
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            /// Counts a key read; false when it is not to be written (its expiry has passed).
            func admit(database: Int, key: @autoclosure () -> [UInt8], expiresAtMs: Int64?) throws -> Bool {
                step.keysRead += 1
                guard database == 0 else { throw Self.notDatabaseZero(path, key: key(), database: database) }
                guard !RestoreCommand.isExpired(expiresAtMs: expiresAtMs, nowMs: nowMs) else {
                    step.keysExpiredSkipped += 1
                    return false
                }
                return true
            }
            while encoder.sealedBytes < minimumBytes && step.functions.isEmpty {
                // Plain strings go to the closure, straight from the read buffer; the rest are returned.
                let read = try reader.next { key, value, expiresAtMs, database in
                    if try admit(database: database, key: Array(key), expiresAtMs: expiresAtMs) {
                        encoder.addString(key: key, value: value, expiresAtMs: expiresAtMs)
                    }
                }
                switch consume read {
                case .visitedString:
                    continue
                case .end:
                    encoder.finish()
                    step.finished = true
                case .item(.function(let function)):
                    step.functions.append(function)
                case .item(.entry(let entry)):
                    if try admit(database: entry.database, key: entry.key, expiresAtMs: entry.expiresAtMs) { encoder.add(entry) }
                }
                if step.finished { break }
            }
            step.batches = encoder.takeSealed()
            step.bytesRead = reader.bytesRead
            return step
        }
    }
}

extension RDBBatchReader {
    static func notDatabaseZero(_ path: String, key: [UInt8], database: Int) -> GeneralFailure {
        GeneralFailure(.cannotRun, "\(path): key \(RDBEntry.display(key)) is in database \(database); a cluster has only database 0")
    }
}

extension RDBFileReader {
    /// `countKeys(path:)` on NIO's blocking-I/O pool, for async callers.
    public static func countKeys(atPath path: String) async throws -> KeyCount {
        try await NIOThreadPool.singleton.runIfActive { try countKeys(path: path) }
    }
}
