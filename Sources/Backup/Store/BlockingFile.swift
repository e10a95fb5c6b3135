import NIOCore
import NIOPosix
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File I/O run on NIO's blocking thread pool, so async code never blocks the cooperative pool.
enum BlockingIO {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }
}

/// A file written sequentially in large batches (1 MiB), each batch on the thread pool.
final class FileSink: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private var pending: ByteBuffer
    private(set) var size: Int64 = 0
    private static let batch = 1 << 20

    /// Creates (or truncates) the file with mode 0600: backups hold all the data.
    static func create(path: String) async throws -> FileSink {
        let fd = try await BlockingIO.run { () throws -> Int32 in
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            if fd < 0 { throw GeneralFailure(.cannotRun, "cannot create \(path): \(BlockingIO.errnoText(errno))") }
            return fd
        }
        return FileSink(path: path, fd: fd)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
        pending = ByteBufferAllocator().buffer(capacity: Self.batch)
    }

    func write(_ chunk: ByteBuffer) async throws {
        var chunk = chunk
        size += Int64(chunk.readableBytes)
        pending.writeBuffer(&chunk)
        if pending.readableBytes >= Self.batch { try await flush() }
    }

    func flush() async throws {
        guard pending.readableBytes > 0 else { return }
        let data = pending
        pending.clear()
        let fd = self.fd
        let path = self.path
        try await BlockingIO.run {
            try data.withUnsafeReadableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = sysWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw GeneralFailure(.operationFailed, "cannot write \(path): \(BlockingIO.errnoText(errno))")
                    }
                    offset += written
                }
            }
        }
    }

    /// Flushes, syncs to disk and closes.
    func close() async throws {
        try await flush()
        let fd = self.fd
        let path = self.path
        try await BlockingIO.run {
            let synced = fsync(fd)
            let syncError = errno
            sysClose(fd)
            if synced != 0 { throw GeneralFailure(.operationFailed, "cannot sync \(path): \(BlockingIO.errnoText(syncError))") }
        }
    }

    /// Closes without caring about the content (an aborted write).
    func discard() async {
        let fd = self.fd
        _ = try? await BlockingIO.run { sysClose(fd) }
    }
}

/// A file read sequentially in chunks on the thread pool.
final class FileSource: @unchecked Sendable {
    let path: String
    private let fd: Int32

    static func open(path: String) async throws -> FileSource {
        let fd = try await BlockingIO.run { () throws -> Int32 in
            let fd = sysOpen(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw GeneralFailure(.cannotRun, "cannot open \(path): \(BlockingIO.errnoText(errno))") }
            return fd
        }
        return FileSource(path: path, fd: fd)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Up to `maximum` bytes; an empty buffer at the end of the file.
    func read(maximum: Int) async throws -> ByteBuffer {
        let fd = self.fd
        let path = self.path
        return try await BlockingIO.run {
            var buffer = ByteBufferAllocator().buffer(capacity: maximum)
            var total = 0
            while total < maximum {
                let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum - total) { raw in
                    while true {
                        let result = sysRead(fd, raw.baseAddress!, maximum - total)
                        if result < 0 {
                            if errno == EINTR { continue }
                            throw GeneralFailure(.cannotRun, "cannot read \(path): \(BlockingIO.errnoText(errno))")
                        }
                        return result
                    }
                }
                if count == 0 { break }
                total += count
            }
            return buffer
        }
    }

    func close() async {
        let fd = self.fd
        _ = try? await BlockingIO.run { sysClose(fd) }
    }

    /// The file's size, or nil when it cannot be read.
    static func size(of path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }
}

// Free functions: inside the types above, `read`/`write`/`open`/`close` name their own methods.
private func sysWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, pointer, count) }
private func sysRead(_ fd: Int32, _ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, pointer, count) }
@discardableResult private func sysClose(_ fd: Int32) -> Int32 { close(fd) }
private func sysOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
