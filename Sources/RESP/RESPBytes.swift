import NIOCore

/// Commands encoded as RESP into a plain byte array, for callers that build many commands in a
/// tight loop (a restore's millions of keys): appending to an array costs less than a
/// `RedisCommand` per command, and `byteBuffer()` hands the result to `RedisConnection.sendEncoded`.
@frozen public struct RESPBytes: Sendable {
    // Inlinable: the restore calls these per key from another module.
    @usableFromInline var storage: [UInt8] = []

    @inlinable public init() {}

    @inlinable public var bytes: [UInt8] { storage }

    @inlinable public var count: Int { storage.count }

    /// `*<parts>\r\n`: the start of a command of `parts` bulk strings.
    @inlinable public mutating func appendArrayHeader(_ parts: Int) {
        storage.append(UInt8(ascii: "*"))
        appendDigits(Int64(parts))
        appendCRLF()
    }

    /// `$<length>\r\n<bytes>\r\n`.
    @inlinable public mutating func appendBulk(_ part: [UInt8]) {
        part.withUnsafeBufferPointer { appendBulk($0) }
    }

    /// `$<length>\r\n<bytes>\r\n`, from memory the caller holds.
    @inlinable public mutating func appendBulk(_ part: UnsafeBufferPointer<UInt8>) {
        storage.append(UInt8(ascii: "$"))
        appendDigits(Int64(part.count))
        appendCRLF()
        storage.append(contentsOf: part)
        appendCRLF()
    }

    /// A bulk string of ASCII text (a command name or keyword).
    @inlinable public mutating func appendBulk(_ word: StaticString) {
        storage.append(UInt8(ascii: "$"))
        appendDigits(Int64(word.utf8CodeUnitCount))
        appendCRLF()
        word.withUTF8Buffer { storage.append(contentsOf: $0) }
        appendCRLF()
    }

    /// A number as a bulk string of its decimal digits.
    @inlinable public mutating func appendBulk(decimal value: Int64) {
        var length = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        storage.append(UInt8(ascii: "$"))
        appendDigits(Int64(length))
        appendCRLF()
        appendDigits(value)
        appendCRLF()
    }

    /// Another encoding's bytes, as they are.
    @inlinable public mutating func append(_ other: RESPBytes) {
        other.storage.withUnsafeBufferPointer { storage.append(contentsOf: $0) }
    }

    /// Empties the bytes, keeping their storage for the next commands.
    @inlinable public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }

    @inlinable public func byteBuffer() -> ByteBuffer {
        ByteBuffer(bytes: storage)
    }

    @inlinable mutating func appendCRLF() {
        storage.append(13)
        storage.append(10)
    }

    @inlinable mutating func appendDigits(_ value: Int64) {
        if value < 0 { storage.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            storage.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude))
            return
        }
        // At most 20 digits, written backwards into stack memory, then appended at once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            while magnitude > 0 {
                start &-= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            }
            storage.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }
}
