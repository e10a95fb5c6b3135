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

    let path: String
    private let reader: RDBFileReader

    /// Opens the file and reads its header (blocking: done on the thread pool).
    static func open(path: String, payloads: Bool) async throws -> RDBBatchReader {
        try await NIOThreadPool.singleton.runIfActive {
            RDBBatchReader(path: path, reader: try RDBFileReader(path: path, payloads: payloads))
        }
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
}
