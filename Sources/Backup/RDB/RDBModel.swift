/// What an RDB file says about itself before its data: the format version and the AUX fields
/// (`redis-ver`, `ctime`, `used-mem`, `repl-id`, ...), in file order.
public struct RDBHeader: Sendable {
    public var rdbVersion: Int
    public var aux: [(name: String, value: String)]

    public init(rdbVersion: Int, aux: [(name: String, value: String)] = []) {
        self.rdbVersion = rdbVersion
        self.aux = aux
    }

    /// The last value of one AUX field, e.g. `aux("redis-ver")`.
    public func aux(_ name: String) -> String? {
        aux.last(where: { $0.name == name })?.value
    }
}

/// One key of an RDB file, with its value as a ready-to-send `RESTORE` payload.
public struct RDBEntry: Sendable {
    public var database: Int
    public var key: [UInt8]
    /// The RDB value type (0 string, 4 hash, 16 hash listpack, 21 stream listpacks 3, ...).
    public var valueType: UInt8
    /// Absolute expiry, Unix milliseconds; nil when the key does not expire.
    public var expiresAtMs: Int64?
    /// LRU idle time in seconds (`IDLETIME`), saved under an LRU maxmemory policy.
    public var idleSeconds: UInt64?
    /// LFU counter (`FREQ`), saved under an LFU maxmemory policy.
    public var frequency: UInt8?
    /// `<type><value bytes as in the RDB><RDB version, 2 bytes LE><CRC64, 8 bytes LE>`, exactly what
    /// `DUMP key` returns; empty when the reader was opened without payloads (counting).
    public var dumpPayload: [UInt8]
    /// A string key's value, decoded (integers as their digits, LZF expanded), when the reader was
    /// opened with `decodesStrings`; `dumpPayload` is then empty for that key.
    public var stringValue: [UInt8]?

    public init(database: Int, key: [UInt8], valueType: UInt8, expiresAtMs: Int64? = nil, idleSeconds: UInt64? = nil,
                frequency: UInt8? = nil, dumpPayload: [UInt8], stringValue: [UInt8]? = nil) {
        self.database = database
        self.key = key
        self.valueType = valueType
        self.expiresAtMs = expiresAtMs
        self.idleSeconds = idleSeconds
        self.frequency = frequency
        self.dumpPayload = dumpPayload
        self.stringValue = stringValue
    }

    /// The key for messages: UTF-8 where possible, other bytes as \xNN, cut at 100 characters.
    public var displayKey: String { RDBEntry.display(key) }

    /// Any key bytes as `displayKey` shows them.
    public static func display(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes.prefix(100) {
            if byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + String(byte, radix: 16).leftPadded(to: 2)
            }
        }
        return bytes.count > 100 ? text + "..." : text
    }
}

/// A function library saved in the RDB (Redis 7 functions): its `FUNCTION LOAD` source.
public struct RDBFunction: Sendable {
    public var code: [UInt8]

    public init(code: [UInt8]) { self.code = code }

    /// The library name from the `#!lua name=<name>` first line; nil when there is none.
    public var libraryName: String? {
        let firstLine = code.prefix(while: { $0 != UInt8(ascii: "\n") })
        let text = String(decoding: firstLine, as: UTF8.self)
        guard text.hasPrefix("#!") else { return nil }
        for word in text.split(separator: " ") where word.hasPrefix("name=") {
            return String(word.dropFirst("name=".count))
        }
        return nil
    }
}

/// What the reader returns, in file order.
public enum RDBItem: Sendable {
    case entry(RDBEntry)
    case function(RDBFunction)
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
