import NIOCore
import RedisCtlCore

/// One object a store holds: its key (relative to the store's root) and size in bytes.
public struct StoredObject: Sendable, Equatable, Hashable {
    public var key: String
    public var size: Int64

    public init(key: String, size: Int64) {
        self.key = key
        self.size = size
    }
}

/// Receives one large object in order, with constant memory. `finish` makes the object visible
/// under its key (never partially: a directory store renames, S3 completes the upload); `abort`
/// leaves nothing behind that a reader could mistake for the object.
public protocol BackupObjectWriter: AnyObject, Sendable {
    func write(_ chunk: ByteBuffer) async throws
    /// Returns the object's size.
    func finish() async throws -> Int64
    func abort() async
}

/// Where backup sets live: a directory or an S3 bucket and prefix. Keys are `/`-separated and
/// relative to the store's root (`<cluster>/<set id>/shard-0.rdb`).
public protocol BackupStore: Sendable {
    /// The root, for messages (`/backups`, `s3://bucket/prefix`).
    var location: String { get }
    /// Streams a large object (an RDB file) into the store.
    func makeWriter(key: String) async throws -> any BackupObjectWriter
    /// Writes a small object (the manifest) in one piece.
    func put(key: String, bytes: [UInt8]) async throws
    /// Reads a small object; nil when it does not exist. Refuses objects larger than `maxSize`.
    func get(key: String, maxSize: Int) async throws -> [UInt8]?
    /// Copies an object to a local file with constant memory.
    func download(key: String, toFile path: String) async throws
    /// The object as a local file that can be read in place (directory store), else nil.
    func localFile(for key: String) -> String?
    /// Every object whose key starts with `prefix` (recursively), in key order.
    func list(prefix: String) async throws -> [StoredObject]
    /// Deletes the objects; a key already gone is not an error.
    func delete(keys: [String]) async throws
    /// Releases connections (the S3 store's HTTP client).
    func shutdown() async
}

extension BackupStore {
    public func shutdown() async {}
}
