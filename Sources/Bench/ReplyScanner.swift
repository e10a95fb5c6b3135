import RESP

/// Finds where one RESP2 reply ends without building a value: the fast path for workload replies.
/// Returns -1 when the bytes so far do not hold the whole reply; throws on bytes that are not RESP.
enum ReplyScanner {
    static let maxDepth = 16

    @inline(__always)
    static func end(of bytes: UnsafeRawBufferPointer, at start: Int) throws -> Int {
        try end(of: bytes, at: start, depth: 0)
    }

    static func end(of bytes: UnsafeRawBufferPointer, at start: Int, depth: Int) throws -> Int {
        guard start < bytes.count else { return -1 }
        switch bytes[start] {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"):
            let lineEnd = try crlf(bytes, from: start + 1)
            return lineEnd < 0 ? -1 : lineEnd + 2
        case UInt8(ascii: "$"):
            let lineEnd = try crlf(bytes, from: start + 1)
            if lineEnd < 0 { return -1 }
            let length = try number(bytes, start + 1, lineEnd)
            if length < 0 { return lineEnd + 2 }
            let end = lineEnd + 2 + length + 2
            return end <= bytes.count ? end : -1
        case UInt8(ascii: "*"):
            guard depth < maxDepth else { throw RedisError(.protocolViolation("reply nested deeper than \(maxDepth)")) }
            let lineEnd = try crlf(bytes, from: start + 1)
            if lineEnd < 0 { return -1 }
            let count = try number(bytes, start + 1, lineEnd)
            var position = lineEnd + 2
            if count <= 0 { return position }
            for _ in 0..<count {
                position = try end(of: bytes, at: position, depth: depth + 1)
                if position < 0 { return -1 }
            }
            return position
        default:
            throw RedisError(.protocolViolation("unexpected reply type byte 0x\(String(bytes[start], radix: 16))"))
        }
    }

    /// Index of the CR of the next CRLF at or after `from`, or -1 when it has not arrived.
    @inline(__always)
    static func crlf(_ bytes: UnsafeRawBufferPointer, from: Int) throws -> Int {
        var index = from
        let last = bytes.count - 1
        while index < last {
            if bytes[index] == 13 {
                guard bytes[index + 1] == 10 else { throw RedisError(.protocolViolation("CR not followed by LF")) }
                return index
            }
            index += 1
        }
        return -1
    }

    /// A decimal (possibly -1) between `start` and `end`.
    @inline(__always)
    static func number(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws -> Int {
        var index = start
        var negative = false
        if index < end && bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < end, end - index <= 18 else { throw RedisError(.protocolViolation("bad length header")) }
        var value = 0
        while index < end {
            let digit = Int(bytes[index]) &- 48
            guard digit >= 0 && digit <= 9 else { throw RedisError(.protocolViolation("bad length header")) }
            value = value &* 10 &+ digit
            index += 1
        }
        return negative ? -value : value
    }
}
