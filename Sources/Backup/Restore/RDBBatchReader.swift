import Foundation
import NIOPosix

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
                throw BackupError(.operationFailed, "\(path): internal error: the file was not opened for encoding")
            }
            // Worked on as a local (unique, so never copied) and put back at the end of the step.
            self.encoder = nil
            defer { self.encoder = encoder }
            var step = EncodedStep()
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            while encoder.sealedBytes < minimumBytes && step.functions.isEmpty {
                let read = try reader.next { key, value, expiresAtMs, database in
                    // Plain strings come here, straight from the read buffer.
                    step.keysRead += 1
                    guard database == 0 else { throw Self.notDatabaseZero(self.path, key: Array(key), database: database) }
                    if let expiresAtMs, expiresAtMs <= nowMs {
                        step.keysExpiredSkipped += 1
                    } else {
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
                    step.keysRead += 1
                    guard entry.database == 0 else { throw Self.notDatabaseZero(path, key: entry.key, database: entry.database) }
                    if RestoreCommand.isExpired(entry, nowMs: nowMs) {
                        step.keysExpiredSkipped += 1
                    } else {
                        encoder.add(entry)
                    }
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
    static func notDatabaseZero(_ path: String, key: [UInt8], database: Int) -> BackupError {
        BackupError(.cannotRun, "\(path): key \(RDBEntry.display(key)) is in database \(database); a cluster has only database 0")
    }
}

extension RDBFileReader {
    /// `countKeys(path:)` on NIO's blocking-I/O pool, for async callers (a manifest's key counts).
    public static func countKeys(atPath path: String) async throws -> KeyCount {
        try await NIOThreadPool.singleton.runIfActive { try countKeys(path: path) }
    }
}
