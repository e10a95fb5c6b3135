import NIOCore
import RedisCtlCore

/// Backup sets in an S3 bucket under a prefix. Large objects go up as multipart uploads whose
/// parts are streamed (one part filling while the previous one uploads), so memory stays at two
/// parts however large the RDB.
public struct S3Store: BackupStore {
    public let client: S3Client
    public var configuration: S3Configuration { client.configuration }

    /// `deadline` bounds every request (see `S3Client`); long waits are reported to `progress`.
    public init(configuration: S3Configuration, deadline: Deadline = .after(.seconds(600)),
                progress: any ProgressReporter = SilentProgress()) {
        client = S3Client(configuration: configuration, deadline: deadline, progress: progress)
    }

    public var location: String { configuration.displayRoot }

    public func makeWriter(key: String) async throws -> any BackupObjectWriter {
        S3ObjectWriter(client: client, key: configuration.fullKey(key), partSize: configuration.partSize)
    }

    public func put(key: String, bytes: [UInt8]) async throws {
        try await client.putObject(key: configuration.fullKey(key), body: ByteBuffer(bytes: bytes))
    }

    public func get(key: String, maxSize: Int) async throws -> [UInt8]? {
        var collected = ByteBuffer()
        let fullKey = configuration.fullKey(key)
        let found = try await client.getObject(key: fullKey) { chunk in
            var chunk = chunk
            guard collected.readableBytes + chunk.readableBytes <= maxSize else {
                throw GeneralFailure(.cannotRun, "s3://\(configuration.bucket)/\(fullKey) is larger than the \(maxSize) bytes expected")
            }
            collected.writeBuffer(&chunk)
        }
        return found ? collected.readBytes(length: collected.readableBytes) : nil
    }

    public func download(key: String, toFile path: String) async throws {
        let sink = try await FileSink.create(path: path)
        let fullKey = configuration.fullKey(key)
        do {
            let found = try await client.getObject(key: fullKey) { chunk in try await sink.write(chunk) }
            guard found else {
                throw GeneralFailure(.cannotRun, "s3://\(configuration.bucket)/\(fullKey) does not exist")
            }
            try await sink.close()
        } catch {
            await sink.discard()
            throw error
        }
    }

    public func localFile(for key: String) -> String? { nil }

    public func list(prefix: String) async throws -> [StoredObject] {
        let root = configuration.prefix.isEmpty ? "" : configuration.prefix + "/"
        return try await client.listObjects(prefix: root + prefix).compactMap { object in
            guard object.key.hasPrefix(root) else { return nil }
            return StoredObject(key: String(object.key.dropFirst(root.count)), size: object.size)
        }.sorted { $0.key < $1.key }
    }

    public func delete(keys: [String]) async throws {
        try await client.deleteObjects(keys: keys.map(configuration.fullKey))
    }

    public func shutdown() async {
        await client.shutdown()
    }
}

/// One object streamed to S3: a plain PUT when it fits in one part, else a multipart upload.
final class S3ObjectWriter: BackupObjectWriter, @unchecked Sendable {
    private let client: S3Client
    private let key: String
    private let partSize: Int
    private var buffer: ByteBuffer
    private var uploadId: String?
    private var parts: [(number: Int, etag: String)] = []
    private var inFlight: Task<(number: Int, etag: String), any Error>?
    private var size: Int64 = 0

    init(client: S3Client, key: String, partSize: Int) {
        self.client = client
        self.key = key
        self.partSize = partSize
        buffer = ByteBufferAllocator().buffer(capacity: 0)
    }

    func write(_ chunk: ByteBuffer) async throws {
        var chunk = chunk
        size += Int64(chunk.readableBytes)
        while chunk.readableBytes > 0 {
            if buffer.capacity == 0 { buffer.reserveCapacity(partSize) }
            let take = min(partSize - buffer.readableBytes, chunk.readableBytes)
            if var slice = chunk.readSlice(length: take) { buffer.writeBuffer(&slice) }
            if buffer.readableBytes >= partSize { try await sendPart() }
        }
    }

    /// Starts the full buffer's upload after the previous part finished (at most one in flight).
    private func sendPart() async throws {
        if uploadId == nil { uploadId = try await client.createMultipartUpload(key: key) }
        try await collectInFlight()
        guard let uploadId else { return }
        let body = buffer
        buffer = ByteBufferAllocator().buffer(capacity: partSize)
        let number = parts.count + 1
        let client = self.client
        let key = self.key
        inFlight = Task {
            (number, try await client.uploadPart(key: key, uploadId: uploadId, partNumber: number, body: body))
        }
    }

    private func collectInFlight() async throws {
        guard let task = inFlight else { return }
        inFlight = nil
        parts.append(try await task.value)
    }

    func finish() async throws -> Int64 {
        guard let uploadId else {
            try await client.putObject(key: key, body: buffer)
            return size
        }
        if buffer.readableBytes > 0 { try await sendPart() }
        try await collectInFlight()
        try await client.completeMultipartUpload(key: key, uploadId: uploadId, parts: parts)
        return size
    }

    func abort() async {
        if let task = inFlight {
            task.cancel()
            _ = try? await task.value
            inFlight = nil
        }
        if let uploadId { await client.abortMultipartUpload(key: key, uploadId: uploadId) }
    }
}
