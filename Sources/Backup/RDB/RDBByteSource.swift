import Foundation
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an RDB reader gets its bytes: a file, memory, or anything else that reads sequentially.
public protocol RDBByteSource: AnyObject {
    /// Fills the start of `buffer`; returns how many bytes were read, 0 at the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Total size when known (for progress); nil for a stream.
    var totalBytes: Int64? { get }
}

/// A file read with plain read(2) calls; the reader does its own buffering.
public final class RDBFileSource: RDBByteSource {
    private let descriptor: Int32
    private let path: String
    public let totalBytes: Int64?

    public init(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw GeneralFailure(.cannotRun, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        totalBytes = fstat(descriptor, &info) == 0 ? Int64(info.st_size) : nil
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            #if canImport(Glibc)
            let count = Glibc.read(descriptor, base, buffer.count)
            #else
            let count = Darwin.read(descriptor, base, buffer.count)
            #endif
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw GeneralFailure(.cannotRun, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Bytes already in memory (tests, small fixtures).
public final class RDBMemorySource: RDBByteSource {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var totalBytes: Int64? { Int64(bytes.count) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<(position + count)]))
        }
        position += count
        return count
    }
}
