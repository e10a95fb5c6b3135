import RedisCtlCore

/// Buffered sequential reading of an RDB stream. Keeps the running CRC64 of everything consumed
/// (the file checksum) and, while capturing, a copy of the consumed bytes (a value's raw form).
/// Both are taken from the buffer in bulk when it is refilled, not byte by byte.
final class RDBInput {
    let name: String
    private let source: any RDBByteSource
    private var buffer: [UInt8]
    private var position = 0
    private var limit = 0
    /// Absolute offset of buffer[0] in the stream.
    private var bufferOffset: Int64 = 0
    private var crc = CRC64()
    private var crcPosition = 0
    private var captured: [UInt8] = []
    private var captureStart: Int?

    init(source: any RDBByteSource, name: String, bufferSize: Int = 1 << 20) {
        self.source = source
        self.name = name
        buffer = [UInt8](repeating: 0, count: max(bufferSize, 64))
    }

    /// Bytes consumed so far.
    var offset: Int64 { bufferOffset + Int64(position) }

    // MARK: Errors

    func truncated(_ what: String) -> GeneralFailure {
        GeneralFailure(.cannotRun, "\(name): truncated at byte \(bufferOffset + Int64(limit)) while reading \(what); the RDB file is incomplete or corrupt")
    }

    func corrupt(_ what: String, at byteOffset: Int64? = nil) -> GeneralFailure {
        GeneralFailure(.cannotRun, "\(name): corrupt at byte \(byteOffset ?? offset): \(what); the RDB file is damaged")
    }

    // MARK: Capture

    /// Starts copying consumed bytes, after `prefix` (the DUMP payload's type byte).
    func beginCapture(prefix: [UInt8]) {
        captured = prefix
        captureStart = position
    }

    /// Stops copying and returns what was consumed since `beginCapture`.
    func endCapture() -> [UInt8] {
        if let start = captureStart { captured.append(contentsOf: buffer[start..<position]) }
        captureStart = nil
        defer { captured = [] }
        return captured
    }

    /// The CRC64 of everything consumed so far.
    func checksumSoFar() -> UInt64 {
        flushChecksum()
        return crc.value
    }

    // MARK: Reading

    func readByte(_ what: @autoclosure () -> String) throws -> UInt8 {
        if position == limit { try fill(atLeast: 1, what()) }
        let byte = buffer[position]
        position += 1
        return byte
    }

    /// The next byte without consuming it; nil at the end of the data.
    func peekByte() throws -> UInt8? {
        if position == limit, try !refill() { return nil }
        return buffer[position]
    }

    /// A little-endian integer of `width` bytes (at most 8).
    func readLittleEndian(width: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        if limit - position < width { try fill(atLeast: width, what()) }
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(buffer[position + index]) << (8 * UInt64(index)) }
        position += width
        return value
    }

    func readBigEndian(width: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        if limit - position < width { try fill(atLeast: width, what()) }
        var value: UInt64 = 0
        for index in 0..<width { value = value << 8 | UInt64(buffer[position + index]) }
        position += width
        return value
    }

    /// Reads `count` bytes into a new array, growing it as data arrives (a corrupt huge length
    /// ends in a truncation error, not a huge allocation).
    func readBytes(_ count: UInt64, _ what: @autoclosure () -> String) throws -> [UInt8] {
        if count <= UInt64(limit - position) {
            // All in the buffer (nearly always): one copy.
            let start = position
            position += Int(count)
            return buffer.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[start..<position])) }
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(min(count, UInt64(buffer.count))))
        var remaining = count
        while remaining > 0 {
            if position == limit { try fill(atLeast: 1, what()) }
            let chunk = Int(min(remaining, UInt64(limit - position)))
            result.append(contentsOf: buffer[position..<(position + chunk)])
            position += chunk
            remaining -= UInt64(chunk)
        }
        return result
    }

    /// When the next bytes are two raw strings (a length prefix and bytes, no special encoding)
    /// wholly in the buffer, hands them to `body` as views into it and consumes them; otherwise
    /// consumes nothing and returns false (the caller reads them the ordinary way).
    func withRawStringPair(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        let end = try buffer.withUnsafeBufferPointer { bytes -> Int? in
            var cursor = position
            guard let key = Self.rawString(in: bytes, at: &cursor, limit: limit),
                  let value = Self.rawString(in: bytes, at: &cursor, limit: limit) else { return nil }
            try body(UnsafeBufferPointer(rebasing: bytes[key]), UnsafeBufferPointer(rebasing: bytes[value]))
            return cursor
        }
        guard let end else { return false }
        position = end
        return true
    }

    /// The range of a raw string's bytes at `cursor` (moved past it), or nil when it is encoded or
    /// not wholly before `limit`.
    private static func rawString(in bytes: UnsafeBufferPointer<UInt8>, at cursor: inout Int, limit: Int) -> Range<Int>? {
        guard cursor < limit else { return nil }
        let first = bytes[cursor]
        var length = 0
        var headerLength = 1
        switch first >> 6 {
        case 0:
            length = Int(first & 0x3f)
        case 1:
            guard cursor + 1 < limit else { return nil }
            length = Int(first & 0x3f) << 8 | Int(bytes[cursor + 1])
            headerLength = 2
        case 2 where first == 0x80:
            guard cursor + 4 < limit else { return nil }
            for index in 1...4 { length = length << 8 | Int(bytes[cursor + index]) }
            headerLength = 5
        default:
            // 64-bit lengths and encoded strings take the ordinary path.
            return nil
        }
        let start = cursor + headerLength
        guard length <= limit - start else { return nil }
        cursor = start + length
        return start..<cursor
    }

    /// Consumes `count` bytes (captured when capturing).
    func skip(_ count: UInt64, _ what: @autoclosure () -> String) throws {
        var remaining = count
        while remaining > 0 {
            if position == limit { try fill(atLeast: 1, what()) }
            let chunk = Int(min(remaining, UInt64(limit - position)))
            position += chunk
            remaining -= UInt64(chunk)
        }
    }


    // MARK: Buffer management

    private func fill(atLeast count: Int, _ what: String) throws {
        while limit - position < count {
            guard try refill() else { throw truncated(what) }
        }
    }

    private func flushChecksum() {
        if crcPosition < position {
            buffer.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[crcPosition..<position])) }
            crcPosition = position
        }
    }

    /// Moves unconsumed bytes to the front and reads more; false at the end of the data.
    private func refill() throws -> Bool {
        flushChecksum()
        if let start = captureStart {
            captured.append(contentsOf: buffer[start..<position])
            captureStart = 0
        }
        let kept = limit - position
        if kept > 0 {
            buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                base.copyMemory(from: base + position, byteCount: kept)
            }
        }
        bufferOffset += Int64(position)
        position = 0
        crcPosition = 0
        limit = kept
        let read = try buffer.withUnsafeMutableBytes { raw in
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[kept...]))
        }
        limit += read
        return read > 0
    }
}
