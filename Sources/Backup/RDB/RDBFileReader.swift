import RedisCtlCore

/// Reads an RDB file (Redis 7.0 = RDB 10, 7.2 = RDB 11, and older) one item at a time, with bounded
/// memory: a buffer plus the one value being returned.
///
/// Values are not decoded. A DUMP payload is the value's bytes exactly as the RDB stores them,
/// framed by the type byte, the RDB version and a CRC64; so each value is parsed only far enough
/// to find where it ends, and its bytes are copied. The file's own CRC64 is verified at EOF (unless
/// it is zero: saved with `rdbchecksum no`). Truncated or corrupt input throws a `GeneralFailure`
/// naming the byte offset; it never traps.
///
/// Not thread-safe: one reader is used by one task at a time.
public final class RDBFileReader {
    public private(set) var header: RDBHeader
    private let input: RDBInput
    private let buildsPayloads: Bool
    private let decodesStrings: Bool
    private var database = 0
    private var pendingExpiry: Int64?
    private var pendingIdle: UInt64?
    private var pendingFrequency: UInt8?
    private var finished = false

    /// Opens a file; `payloads: false` skips values without copying them (counting keys);
    /// `decodesStrings` returns string keys' values decoded in `stringValue` instead of a payload.
    public convenience init(path: String, payloads: Bool = true, decodesStrings: Bool = false) throws {
        try self.init(source: RDBFileSource(path: path), name: path, payloads: payloads, decodesStrings: decodesStrings)
    }

    /// Reads from memory; `name` is used in error messages.
    public convenience init(bytes: [UInt8], name: String = "RDB", payloads: Bool = true, decodesStrings: Bool = false) throws {
        try self.init(source: RDBMemorySource(bytes), name: name, payloads: payloads, decodesStrings: decodesStrings)
    }

    /// Reads the header ("REDIS" and the version) and the AUX fields that follow it.
    public init(source: any RDBByteSource, name: String, payloads: Bool = true, decodesStrings: Bool = false) throws {
        // A small input needs no megabyte buffer.
        let bufferSize = source.totalBytes.map { Int(min($0 + 64, 1 << 20)) } ?? 1 << 20
        input = RDBInput(source: source, name: name, bufferSize: bufferSize)
        buildsPayloads = payloads
        self.decodesStrings = payloads && decodesStrings
        totalBytes = source.totalBytes
        let magic = try input.readBytes(9, "the RDB header")
        guard magic.prefix(5).elementsEqual("REDIS".utf8),
              let version = Int(String(decoding: magic.suffix(4), as: UTF8.self)), version >= 1 else {
            throw input.corrupt("not an RDB file (it does not start with REDIS and a 4-digit version)", at: 0)
        }
        guard version <= RDBFormat.newestVersion else {
            throw GeneralFailure(.cannotRun, "\(name): RDB version \(version) is newer than this reader knows (up to \(RDBFormat.newestVersion), Redis 7.2); back up with Redis 7.2 or older, or upgrade redisctl")
        }
        header = RDBHeader(rdbVersion: version)
        // The AUX fields come first: read them now so `header` is complete before the first key.
        while version >= 7, try input.peekByte() == RDBFormat.Opcode.aux {
            _ = try input.readByte("an AUX opcode")
            try readAuxField()
        }
    }

    /// Size of the input when known.
    public let totalBytes: Int64?

    /// Bytes consumed so far.
    public var bytesRead: Int64 { input.offset }

    /// The next key or function, or nil after EOF (the checksum has then been verified).
    public func next() throws -> RDBItem? {
        switch try next(visitingStrings: nil) {
        case .item(let item): return item
        case .visitedString, .end: return nil
        }
    }

    /// What `next(visitingStrings:)` did.
    enum Step {
        case item(RDBItem)
        /// A string key went to the visitor.
        case visitedString
        case end
    }

    /// A string key with its value raw (neither an integer nor LZF), both wholly in the read buffer:
    /// views valid only during the call, the key's absolute expiry, and its database.
    typealias StringVisitor = (_ key: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>,
                               _ expiresAtMs: Int64?, _ database: Int) throws -> Void

    /// Like `next()`, but with `decodesStrings`, a string key whose raw value is in the read buffer
    /// goes to `visitString` as views into the buffer instead of being returned: such a key costs
    /// no allocation, which is what a restore of millions of small strings needs.
    func next(visitingStrings visitString: StringVisitor?) throws -> Step {
        while !finished {
            let opcodeOffset = input.offset
            let opcode = try input.readByte("the next opcode")
            let introduced = RDBFormat.minimumVersion(of: opcode)
            guard introduced <= header.rdbVersion else {
                throw input.corrupt("\(opcode >= 0xF5 ? "opcode" : "value type") \(opcode) does not exist in RDB version \(header.rdbVersion)", at: opcodeOffset)
            }
            switch opcode {
            case RDBFormat.Opcode.aux:
                try readAuxField()
            case RDBFormat.Opcode.resizeDB:
                _ = try readCount("a RESIZEDB hash table size")
                _ = try readCount("a RESIZEDB expires table size")
            case RDBFormat.Opcode.expireTimeMs:
                pendingExpiry = Int64(bitPattern: try input.readLittleEndian(width: 8, "an expire time"))
            case RDBFormat.Opcode.expireTime:
                pendingExpiry = Int64(Int32(truncatingIfNeeded: try input.readLittleEndian(width: 4, "an expire time"))) * 1000
            case RDBFormat.Opcode.selectDB:
                let number = try readCount("a SELECTDB number")
                guard number <= UInt64(Int32.max) else { throw input.corrupt("database number \(number)", at: opcodeOffset) }
                database = Int(number)
            case RDBFormat.Opcode.idle:
                pendingIdle = try readCount("an IDLE time")
            case RDBFormat.Opcode.freq:
                pendingFrequency = try input.readByte("a FREQ value")
            case RDBFormat.Opcode.function2:
                return .item(.function(RDBFunction(code: try readString("a function library"))))
            case RDBFormat.Opcode.functionPreGA:
                throw GeneralFailure(.cannotRun, "\(input.name): byte \(opcodeOffset): functions in the pre-release format of Redis 7.0 release candidates are not supported; load the file into Redis 7.0 or newer and save it again")
            case RDBFormat.Opcode.moduleAux:
                let moduleId = try readCount("a module id")
                throw GeneralFailure(.cannotRun, "\(input.name): byte \(opcodeOffset): auxiliary data of module \(RDBFormat.moduleName(fromId: moduleId)) cannot be restored with RESTORE; restore this data with the module's own tools")
            case RDBFormat.Opcode.eof:
                try verifyChecksum()
                finished = true
            case RDBFormat.ValueType.string where decodesStrings && visitString != nil:
                let visited = try input.withRawStringPair { key, value in
                    try visitString?(key, value, pendingExpiry, database)
                }
                guard visited else { return .item(.entry(try readEntry(type: opcode, at: opcodeOffset))) }
                pendingExpiry = nil
                pendingIdle = nil
                pendingFrequency = nil
                return .visitedString
            default:
                return .item(.entry(try readEntry(type: opcode, at: opcodeOffset)))
            }
        }
        return .end
    }

    private func readAuxField() throws {
        let name = try readString("an AUX field name")
        let value = try readString("AUX field \(RDBEntry.display(name))")
        header.aux.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    // MARK: Entries

    private func readEntry(type: UInt8, at typeOffset: Int64) throws -> RDBEntry {
        let key = try readString("a key")
        defer {
            pendingExpiry = nil
            pendingIdle = nil
            pendingFrequency = nil
        }
        if decodesStrings && type == RDBFormat.ValueType.string {
            let value = try readString("the value of key \(RDBEntry.display(key))")
            return RDBEntry(database: database, key: key, valueType: type, expiresAtMs: pendingExpiry,
                            idleSeconds: pendingIdle, frequency: pendingFrequency, dumpPayload: [], stringValue: value)
        }
        if buildsPayloads { input.beginCapture(prefix: [type]) }
        try skipValue(type: type, key: key, typeOffset: typeOffset)
        var payload: [UInt8] = []
        if buildsPayloads {
            payload = input.endCapture()
            let version = UInt16(header.rdbVersion)
            payload.append(UInt8(version & 0xff))
            payload.append(UInt8(version >> 8))
            var checksum = CRC64.checksum(payload)
            for _ in 0..<8 {
                payload.append(UInt8(checksum & 0xff))
                checksum >>= 8
            }
        }
        return RDBEntry(database: database, key: key, valueType: type, expiresAtMs: pendingExpiry,
                        idleSeconds: pendingIdle, frequency: pendingFrequency, dumpPayload: payload)
    }

    /// Consumes one value of `type`, which the capture copies.
    private func skipValue(type: UInt8, key: [UInt8], typeOffset: Int64) throws {
        func what() -> String { "the value of key \(RDBEntry.display(key))" }
        typealias T = RDBFormat.ValueType
        switch type {
        case T.string, T.hashZipmap, T.listZiplist, T.setIntset, T.zsetZiplist, T.hashZiplist,
             T.hashListpack, T.zsetListpack, T.setListpack:
            try skipString(what())
        case T.list, T.set, T.listQuicklist:
            for _ in 0..<(try readCount(what())) { try skipString(what()) }
        case T.hash:
            for _ in 0..<(try readCount(what())) {
                try skipString(what())
                try skipString(what())
            }
        case T.zset:
            for _ in 0..<(try readCount(what())) {
                try skipString(what())
                // A score as text: a length byte, 253-255 meaning NaN/+inf/-inf with no text.
                let length = try input.readByte(what())
                if length < 253 { try input.skip(UInt64(length), what()) }
            }
        case T.zset2:
            for _ in 0..<(try readCount(what())) {
                try skipString(what())
                try input.skip(8, what())
            }
        case T.listQuicklist2:
            for _ in 0..<(try readCount(what())) {
                _ = try readCount(what())  // the node's container: plain or packed
                try skipString(what())
            }
        case T.streamListpacks, T.streamListpacks2, T.streamListpacks3:
            try skipStream(type: type, what())
        case T.modulePreGA, T.module2:
            let moduleId = try readCount(what())
            throw GeneralFailure(.cannotRun, "\(input.name): key \(RDBEntry.display(key)) holds a value of module \(RDBFormat.moduleName(fromId: moduleId)), which redisctl cannot restore; remove the key or restore it with the module's own tools")
        default:
            throw input.corrupt("unknown value type \(type)", at: typeOffset)
        }
    }

    /// A stream: listpack nodes, then metadata, then consumer groups with their pending entries
    /// (the layout of rdbLoadObject for the three stream types).
    private func skipStream(type: UInt8, _ what: @autoclosure () -> String) throws {
        typealias T = RDBFormat.ValueType
        for _ in 0..<(try readCount(what())) {
            try skipString(what())  // the node's master ID
            try skipString(what())  // the listpack
        }
        _ = try readCount(what())  // length
        _ = try readCount(what())  // last id: ms
        _ = try readCount(what())  // last id: seq
        if type >= T.streamListpacks2 {
            for _ in 0..<5 { _ = try readCount(what()) }  // first id, max deleted id, entries added
        }
        for _ in 0..<(try readCount(what())) {
            try skipString(what())  // group name
            _ = try readCount(what())  // last delivered id: ms
            _ = try readCount(what())  // last delivered id: seq
            if type >= T.streamListpacks2 { _ = try readCount(what()) }  // entries read
            for _ in 0..<(try readCount(what())) {
                try input.skip(16 + 8, what())  // raw ID, delivery time
                _ = try readCount(what())  // delivery count
            }
            for _ in 0..<(try readCount(what())) {
                try skipString(what())  // consumer name
                try input.skip(type >= T.streamListpacks3 ? 16 : 8, what())  // seen time (and active time)
                for _ in 0..<(try readCount(what())) { try input.skip(16, what()) }  // raw IDs
            }
        }
    }

    // MARK: Lengths and strings

    /// A length prefix: a plain number, or (`encoded`) the kind of a specially encoded string.
    private func readLength(_ what: @autoclosure () -> String) throws -> (value: UInt64, encoded: Bool) {
        let first = try input.readByte(what())
        switch first >> 6 {
        case 0:
            return (UInt64(first & 0x3f), false)
        case 1:
            let second = try input.readByte(what())
            return (UInt64(first & 0x3f) << 8 | UInt64(second), false)
        case 2:
            if first == 0x80 { return (try input.readBigEndian(width: 4, what()), false) }
            if first == 0x81 { return (try input.readBigEndian(width: 8, what()), false) }
            throw input.corrupt("invalid length prefix 0x\(String(first, radix: 16)) in \(what())", at: input.offset - 1)
        default:
            return (UInt64(first & 0x3f), true)
        }
    }

    /// A count (elements, ids); an encoded-string prefix here is corruption.
    private func readCount(_ what: @autoclosure () -> String) throws -> UInt64 {
        let offset = input.offset
        let (value, encoded) = try readLength(what())
        guard !encoded else { throw input.corrupt("a string encoding where a length belongs in \(what())", at: offset) }
        return value
    }

    /// Consumes a string in any encoding without decoding it.
    private func skipString(_ what: @autoclosure () -> String) throws {
        let offset = input.offset
        let (value, encoded) = try readLength(what())
        guard encoded else { return try input.skip(value, what()) }
        switch value {
        case 0: try input.skip(1, what())
        case 1: try input.skip(2, what())
        case 2: try input.skip(4, what())
        case 3:
            let compressed = try readCount(what())
            _ = try readCount(what())
            try input.skip(compressed, what())
        default: throw input.corrupt("unknown string encoding \(value) in \(what())", at: offset)
        }
    }

    /// Reads and decodes a string: raw, an integer in 1, 2 or 4 bytes, or LZF-compressed.
    private func readString(_ what: @autoclosure () -> String) throws -> [UInt8] {
        let offset = input.offset
        let (value, encoded) = try readLength(what())
        guard encoded else { return try input.readBytes(value, what()) }
        switch value {
        case 0: return Array(String(Int8(truncatingIfNeeded: try input.readLittleEndian(width: 1, what()))).utf8)
        case 1: return Array(String(Int16(truncatingIfNeeded: try input.readLittleEndian(width: 2, what()))).utf8)
        case 2: return Array(String(Int32(truncatingIfNeeded: try input.readLittleEndian(width: 4, what()))).utf8)
        case 3:
            let compressedLength = try readCount(what())
            let length = try readCount(what())
            // Redis strings are at most 4 GB here; anything larger is a corrupt header.
            guard length <= UInt64(UInt32.max) else { throw input.corrupt("compressed string of \(length) bytes in \(what())", at: offset) }
            let compressed = try input.readBytes(compressedLength, what())
            guard let plain = LZF.decompress(compressed, expectedLength: Int(length)) else {
                throw input.corrupt("LZF data that does not decompress in \(what())", at: offset)
            }
            return plain
        default:
            throw input.corrupt("unknown string encoding \(value) in \(what())", at: offset)
        }
    }

    // MARK: EOF

    private func verifyChecksum() throws {
        guard header.rdbVersion >= 5 else { return }
        let computed = input.checksumSoFar()
        let stored = try input.readLittleEndian(width: 8, "the checksum")
        guard stored == 0 || stored == computed else {
            throw GeneralFailure(.cannotRun, "\(input.name): checksum mismatch (the file says \(hex(stored)), its content gives \(hex(computed))); the RDB file is corrupt")
        }
    }

    private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16).leftPadded(to: 16) }
}

extension RDBFileReader {
    /// What a pass over a file without payloads finds: its keys, structure and checksum checked.
    public struct KeyCount: Sendable, Equatable {
        public var rdbVersion: Int
        public var keys: Int
        /// Keys with an expiry (already past or not).
        public var keysWithExpiry: Int
        public var functions: Int
        public var bytes: Int64
    }

    /// Counts the keys of an RDB file, verifying its structure and checksum on the way.
    public static func countKeys(path: String) throws -> KeyCount {
        try countKeys(RDBFileReader(path: path, payloads: false))
    }

    public static func countKeys(_ reader: RDBFileReader) throws -> KeyCount {
        var count = KeyCount(rdbVersion: reader.header.rdbVersion, keys: 0, keysWithExpiry: 0, functions: 0, bytes: 0)
        while let item = try reader.next() {
            switch item {
            case .entry(let entry):
                count.keys += 1
                if entry.expiresAtMs != nil { count.keysWithExpiry += 1 }
            case .function:
                count.functions += 1
            }
        }
        count.bytes = reader.bytesRead
        return count
    }
}
