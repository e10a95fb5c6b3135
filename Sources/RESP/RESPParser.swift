import NIOCore

/// A pure RESP2/RESP3 reply parser. Bounded by `Limits` before anything is allocated, so a
/// hostile or broken peer can make it fail but never make it allocate what the bytes do not back.
public struct RESPParser: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Deepest nesting of aggregates (arrays, maps, sets, pushes, attributes).
        public var maxDepth: Int
        /// Longest bulk string; Redis's own `proto-max-bulk-len` default is 512 MB.
        public var maxBulkLength: Int
        /// Most elements (or map pairs) one aggregate may announce.
        public var maxAggregateCount: Int
        /// Longest simple line (simple string, error, number) before its CRLF.
        public var maxLineLength: Int

        public init(
            maxDepth: Int = 64,
            maxBulkLength: Int = 512 * 1024 * 1024,
            maxAggregateCount: Int = 16 * 1024 * 1024,
            maxLineLength: Int = 1024 * 1024
        ) {
            self.maxDepth = maxDepth
            self.maxBulkLength = maxBulkLength
            self.maxAggregateCount = maxAggregateCount
            self.maxLineLength = maxLineLength
        }
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses one complete value from the front of `buffer`. Returns nil when the bytes so far are
    /// an incomplete value; the reader index moves only when a value is returned.
    /// Throws `RedisError` (`.protocolViolation`) on malformed input or exceeded limits.
    public func parse(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var bytesNeeded = 0
        return try parse(from: &buffer, bytesNeeded: &bytesNeeded)
    }

    /// As `parse(from:)`; when incomplete, `bytesNeeded` is a lower bound of readable bytes needed
    /// before another attempt can get further (lets a decoder skip re-parsing a large pending bulk).
    public func parse(from buffer: inout ByteBuffer, bytesNeeded: inout Int) throws -> RESPValue? {
        let source = buffer
        var needed = 0
        let parsed: (value: RESPValue, consumed: Int)? = try source.withUnsafeReadableBytes { bytes in
            var cursor = Cursor(bytes: bytes, source: source, limits: limits)
            guard let value = try cursor.parseValue(depth: 0) else {
                needed = cursor.needed
                return nil
            }
            return (value, cursor.position)
        }
        guard let parsed else {
            bytesNeeded = needed
            return nil
        }
        buffer.moveReaderIndex(forwardBy: parsed.consumed)
        return parsed.value
    }
}

private enum Byte {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
}

/// A length or count header: -1 (null) or a checked non-negative number.
private enum Announced {
    case null
    case number(Int)

    var value: Int? {
        if case .number(let number) = self { return number }
        return nil
    }
}

private func violation(_ text: String) -> RedisError {
    RedisError(.protocolViolation(text))
}

/// Walks the readable bytes; every method returns nil when more bytes are needed.
private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    let source: ByteBuffer
    let limits: RESPParser.Limits
    var position = 0
    /// Set when a method returns nil: readable bytes needed before trying again helps.
    var needed = 0

    init(bytes: UnsafeRawBufferPointer, source: ByteBuffer, limits: RESPParser.Limits) {
        self.bytes = bytes
        self.source = source
        self.limits = limits
    }

    mutating func parseValue(depth: Int) throws -> RESPValue? {
        // Attributes (`|`) annotate the value that follows; they are parsed for framing and dropped.
        // A loop, not recursion, so a run of attributes cannot grow the stack.
        while true {
            guard position < bytes.count else {
                needed = position + 1
                return nil
            }
            let type = bytes[position]
            guard type == UInt8(ascii: "|") else { break }
            position += 1
            guard let count = try readCount(allowNull: false) else { return nil }
            guard try readElements(pairs: count.value ?? 0, depth: depth + 1) != nil else { return nil }
        }
        let type = bytes[position]
        position += 1
        switch type {
        case UInt8(ascii: "+"):
            guard let line = try readLine() else { return nil }
            return .simpleString(text(line))
        case UInt8(ascii: "-"):
            guard let line = try readLine() else { return nil }
            return .error(text(line))
        case UInt8(ascii: ":"):
            guard let line = try readLine() else { return nil }
            return .integer(try integer(line))
        case UInt8(ascii: "$"):
            guard let length = try readBulkLength() else { return nil }
            guard let length = length.value else { return .bulkString(nil) }
            guard let range = try readBulkBody(length) else { return nil }
            guard let slice = source.getSlice(at: source.readerIndex + range.lowerBound, length: range.count) else {
                throw violation("bulk string outside the buffer")
            }
            return .bulkString(slice)
        case UInt8(ascii: "*"):
            guard let count = try readCount(allowNull: true) else { return nil }
            guard let count = count.value else { return .array(nil) }
            guard let elements = try readElements(count: count, depth: depth + 1) else { return nil }
            return .array(elements)
        case UInt8(ascii: "_"):
            guard let line = try readLine() else { return nil }
            guard line.isEmpty else { throw violation("null with content") }
            return .null
        case UInt8(ascii: ","):
            guard let line = try readLine() else { return nil }
            return .double(try double(line))
        case UInt8(ascii: "#"):
            guard let line = try readLine() else { return nil }
            guard line.count == 1 else { throw violation("boolean is not t or f") }
            switch bytes[line.lowerBound] {
            case UInt8(ascii: "t"): return .boolean(true)
            case UInt8(ascii: "f"): return .boolean(false)
            default: throw violation("boolean is not t or f")
            }
        case UInt8(ascii: "("):
            guard let line = try readLine() else { return nil }
            let digits = text(line)
            let unsigned = digits.hasPrefix("-") || digits.hasPrefix("+") ? digits.dropFirst() : Substring(digits)
            guard !unsigned.isEmpty, unsigned.utf8.allSatisfy({ $0 >= Byte.zero && $0 <= Byte.nine }) else {
                throw violation("big number is not decimal")
            }
            return .bigNumber(digits)
        case UInt8(ascii: "!"):
            guard let length = try readBulkLength() else { return nil }
            guard let length = length.value else { throw violation("null blob error") }
            guard let range = try readBulkBody(length) else { return nil }
            return .error(text(range))
        case UInt8(ascii: "="):
            guard let length = try readBulkLength() else { return nil }
            guard let length = length.value else { throw violation("null verbatim string") }
            guard let range = try readBulkBody(length) else { return nil }
            guard range.count >= 4, bytes[range.lowerBound + 3] == UInt8(ascii: ":") else {
                throw violation("verbatim string without a format prefix")
            }
            return .verbatimString(
                format: text(range.lowerBound..<range.lowerBound + 3),
                text: text(range.lowerBound + 4..<range.upperBound)
            )
        case UInt8(ascii: "%"):
            guard let count = try readCount(allowNull: false) else { return nil }
            guard let pairs = try readElements(pairs: count.value ?? 0, depth: depth + 1) else { return nil }
            return .map(pairs)
        case UInt8(ascii: "~"):
            guard let count = try readCount(allowNull: false) else { return nil }
            guard let elements = try readElements(count: count.value ?? 0, depth: depth + 1) else { return nil }
            return .set(elements)
        case UInt8(ascii: ">"):
            guard let count = try readCount(allowNull: false) else { return nil }
            guard let elements = try readElements(count: count.value ?? 0, depth: depth + 1) else { return nil }
            return .push(elements)
        default:
            throw violation("unknown type byte 0x\(String(type, radix: 16))")
        }
    }

    /// The range of the line at `position` (without CRLF); moves past the CRLF.
    mutating func readLine() throws -> Range<Int>? {
        let start = position
        // Look one byte past the longest allowed line, to tell "too long" from "not yet here".
        let searchEnd = min(bytes.count, start + limits.maxLineLength + 1)
        var index = start
        while index < searchEnd {
            let byte = bytes[index]
            if byte == Byte.cr {
                guard index + 1 < bytes.count else {
                    needed = index + 2
                    return nil
                }
                guard bytes[index + 1] == Byte.lf else { throw violation("CR not followed by LF") }
                position = index + 2
                return start..<index
            }
            if byte == Byte.lf { throw violation("LF without CR") }
            index += 1
        }
        if searchEnd - start > limits.maxLineLength {
            throw violation("line longer than \(limits.maxLineLength) bytes")
        }
        needed = bytes.count + 1
        return nil
    }

    /// A length header; nil when incomplete.
    mutating func readBulkLength() throws -> Announced? {
        guard let line = try readHeaderLine() else { return nil }
        let length = try integer(line)
        if length == -1 { return .null }
        guard length >= 0 else { throw violation("negative length \(length)") }
        guard length <= limits.maxBulkLength else {
            throw violation("bulk length \(length) over the limit of \(limits.maxBulkLength)")
        }
        return .number(Int(length))
    }

    /// The body of a bulk value of `length` bytes followed by CRLF.
    mutating func readBulkBody(_ length: Int) throws -> Range<Int>? {
        let end = position + length
        guard end + 2 <= bytes.count else {
            needed = end + 2
            return nil
        }
        guard bytes[end] == Byte.cr, bytes[end + 1] == Byte.lf else {
            throw violation("bulk string not terminated by CRLF")
        }
        let range = position..<end
        position = end + 2
        return range
    }

    /// An aggregate count (-1 only where allowed); nil when incomplete.
    mutating func readCount(allowNull: Bool) throws -> Announced? {
        guard let line = try readHeaderLine() else { return nil }
        let count = try integer(line)
        if count == -1 && allowNull { return Announced.null }
        guard count >= 0 else { throw violation("negative count \(count)") }
        guard count <= limits.maxAggregateCount else {
            throw violation("aggregate of \(count) elements over the limit of \(limits.maxAggregateCount)")
        }
        return .number(Int(count))
    }

    /// Header lines hold a number: short, so a missing CRLF is caught after a few bytes.
    mutating func readHeaderLine() throws -> Range<Int>? {
        let start = position
        let searchEnd = min(bytes.count, start + 22)
        var index = start
        while index < searchEnd {
            if bytes[index] == Byte.cr {
                guard index + 1 < bytes.count else {
                    needed = index + 2
                    return nil
                }
                guard bytes[index + 1] == Byte.lf else { throw violation("CR not followed by LF") }
                position = index + 2
                return start..<index
            }
            index += 1
        }
        if searchEnd - start >= 22 { throw violation("length header without CRLF") }
        needed = bytes.count + 1
        return nil
    }

    mutating func readElements(count: Int, depth: Int) throws -> [RESPValue]? {
        guard depth <= limits.maxDepth else { throw violation("nesting deeper than \(limits.maxDepth)") }
        var elements: [RESPValue] = []
        // Each element takes at least 3 bytes, so never reserve more than the bytes present back.
        elements.reserveCapacity(min(count, (bytes.count - position) / 3))
        for _ in 0..<count {
            guard let element = try parseValue(depth: depth) else { return nil }
            elements.append(element)
        }
        return elements
    }

    mutating func readElements(pairs count: Int, depth: Int) throws -> [RESPKeyValue]? {
        guard depth <= limits.maxDepth else { throw violation("nesting deeper than \(limits.maxDepth)") }
        var pairs: [RESPKeyValue] = []
        pairs.reserveCapacity(min(count, (bytes.count - position) / 6))
        for _ in 0..<count {
            guard let key = try parseValue(depth: depth) else { return nil }
            guard let value = try parseValue(depth: depth) else { return nil }
            pairs.append(RESPKeyValue(key: key, value: value))
        }
        return pairs
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    func integer(_ range: Range<Int>) throws -> Int64 {
        var index = range.lowerBound
        var negative = false
        if index < range.upperBound, bytes[index] == Byte.minus || bytes[index] == Byte.plus {
            negative = bytes[index] == Byte.minus
            index += 1
        }
        guard index < range.upperBound else { throw violation("empty integer") }
        var value: Int64 = 0
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte >= Byte.zero, byte <= Byte.nine else { throw violation("integer with non-digit") }
            let digit = Int64(byte - Byte.zero)
            // Accumulate negatively so Int64.min parses too.
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw violation("integer out of range") }
            value = next
            index += 1
        }
        if negative { return value }
        guard value != Int64.min else { throw violation("integer out of range") }
        return -value
    }

    func double(_ range: Range<Int>) throws -> Double {
        let literal = text(range)
        switch literal {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default:
            guard let value = Double(literal), value.isFinite else { throw violation("malformed double") }
            return value
        }
    }
}
