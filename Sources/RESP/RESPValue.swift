import NIOCore

/// One RESP2 or RESP3 value as it travels on the wire.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    /// A simple error (`-`) or RESP3 blob error (`!`): the full text, e.g. `MOVED 3999 127.0.0.1:6381`.
    case error(String)
    case integer(Int64)
    /// Nil is RESP2's null bulk string (`$-1`).
    case bulkString(ByteBuffer?)
    /// Nil is RESP2's null array (`*-1`).
    case array([RESPValue]?)
    // RESP3
    case null
    case double(Double)
    case boolean(Bool)
    /// Arbitrary-precision integer, kept as its decimal text.
    case bigNumber(String)
    case verbatimString(format: String, text: String)
    case map([RESPKeyValue])
    case set([RESPValue])
    case push([RESPValue])

    /// The text of a simple, bulk or verbatim string, decoded as UTF-8.
    public var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(.some(let buffer)): return String(buffer: buffer)
        case .verbatimString(_, let text): return text
        default: return nil
        }
    }

    /// An integer, or a simple/bulk string that holds only a decimal integer.
    public var int: Int64? {
        switch self {
        case .integer(let value): return value
        case .simpleString(let text): return Int64(text)
        case .bulkString(.some(let buffer)): return Int64(String(buffer: buffer))
        default: return nil
        }
    }

    /// The elements of an array, set or push.
    public var array: [RESPValue]? {
        switch self {
        case .array(.some(let elements)), .set(let elements), .push(let elements): return elements
        default: return nil
        }
    }

    /// A RESP3 map, or a RESP2 array of alternating keys and values (how RESP2 sends maps).
    public var map: [RESPKeyValue]? {
        switch self {
        case .map(let pairs):
            return pairs
        case .array(.some(let elements)) where elements.count % 2 == 0:
            return stride(from: 0, to: elements.count, by: 2).map {
                RESPKeyValue(key: elements[$0], value: elements[$0 + 1])
            }
        default:
            return nil
        }
    }

    /// The value stored under the key whose text is `key`, in a map (RESP3) or flat pair array (RESP2).
    public subscript(key key: String) -> RESPValue? {
        map?.first(where: { $0.key.string == key })?.value
    }

    public var isNull: Bool {
        switch self {
        case .null, .bulkString(nil), .array(nil): return true
        default: return false
        }
    }

    /// The bytes of a bulk string, or of a simple/verbatim string as UTF-8.
    public var bytes: ByteBuffer? {
        switch self {
        case .bulkString(.some(let buffer)): return buffer
        case .simpleString(let text), .verbatimString(_, let text): return ByteBuffer(string: text)
        default: return nil
        }
    }
}

/// One entry of a RESP3 map; keys may be any value, so this is a list of pairs, not a dictionary.
public struct RESPKeyValue: Sendable, Equatable {
    public var key: RESPValue
    public var value: RESPValue

    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}
