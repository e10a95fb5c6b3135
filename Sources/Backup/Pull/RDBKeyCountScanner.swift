import NIOCore

/// Reads the start of an RDB stream far enough to find the key count the dumping server wrote in
/// its RESIZEDB opcode: the exact size of the snapshot's keyspace, without parsing any value.
/// Gives up (nil) on an opcode it does not know before RESIZEDB (module aux data).
public struct RDBKeyCountScanner: Sendable {
    public enum Outcome: Sendable, Equatable {
        case needMore
        case found(keys: Int64, expires: Int64)
        case unknown
    }

    private var prefix = ByteBuffer()
    public private(set) var outcome: Outcome = .needMore
    /// Aux fields and functions come first; past this much prefix, stop looking.
    static let maximumPrefix = 8 << 20

    public init() {}

    /// The RDB format version from the header (`REDIS0010` -> 10), once seen.
    public private(set) var rdbVersion: Int?

    public mutating func feed(_ chunk: ByteBuffer) {
        guard outcome == .needMore else { return }
        var chunk = chunk
        prefix.writeBuffer(&chunk)
        var reader = prefix
        outcome = Self.scan(&reader, version: &rdbVersion)
        if outcome == .needMore && prefix.readableBytes > Self.maximumPrefix { outcome = .unknown }
        if outcome != .needMore { prefix = ByteBuffer() }
    }

    /// Marks the stream as ended: a count not found by now is unknown.
    public mutating func finish() {
        if outcome == .needMore { outcome = .unknown }
    }

    static func scan(_ buffer: inout ByteBuffer, version: inout Int?) -> Outcome {
        guard let magic = buffer.readString(length: 9) else { return .needMore }
        guard magic.hasPrefix("REDIS"), let number = Int(magic.dropFirst(5)) else { return .unknown }
        version = number
        while true {
            guard let opcode = buffer.readInteger(as: UInt8.self) else { return .needMore }
            switch opcode {
            case RDBFormat.Opcode.aux: // AUX: key, value
                for _ in 0..<2 {
                    switch skipString(&buffer) {
                    case .needMore: return .needMore
                    case .invalid: return .unknown
                    case .done: break
                    }
                }
            case RDBFormat.Opcode.function2: // FUNCTION2: the library's code as a string
                switch skipString(&buffer) {
                case .needMore: return .needMore
                case .invalid: return .unknown
                case .done: break
                }
            case RDBFormat.Opcode.selectDB: // SELECTDB
                switch readLength(&buffer) {
                case .needMore: return .needMore
                case .invalid, .encoded: return .unknown
                case .value: break
                }
            case RDBFormat.Opcode.resizeDB: // RESIZEDB: keys, keys with an expiry
                guard case .value(let keys) = readLength(&buffer) else { return buffer.readableBytes == 0 ? .needMore : .unknown }
                switch readLength(&buffer) {
                case .value(let expires): return .found(keys: Int64(clamping: keys), expires: Int64(clamping: expires))
                case .needMore: return .needMore
                case .invalid, .encoded: return .unknown
                }
            case RDBFormat.Opcode.eof: // EOF before any database: an empty dataset
                return .found(keys: 0, expires: 0)
            default:
                return .unknown
            }
        }
    }

    enum LengthResult: Equatable { case value(UInt64), needMore, invalid, encoded(UInt8) }
    enum SkipResult { case done, needMore, invalid }

    static func readLength(_ buffer: inout ByteBuffer) -> LengthResult {
        guard let first = buffer.readInteger(as: UInt8.self) else { return .needMore }
        switch first >> 6 {
        case 0: return .value(UInt64(first & 0x3F))
        case 1:
            guard let second = buffer.readInteger(as: UInt8.self) else { return .needMore }
            return .value(UInt64(first & 0x3F) << 8 | UInt64(second))
        case 2:
            if first == 0x80 { return buffer.readInteger(endianness: .big, as: UInt32.self).map { .value(UInt64($0)) } ?? .needMore }
            if first == 0x81 { return buffer.readInteger(endianness: .big, as: UInt64.self).map { .value($0) } ?? .needMore }
            return .invalid
        default:
            return .encoded(first & 0x3F)
        }
    }

    static func skipString(_ buffer: inout ByteBuffer) -> SkipResult {
        switch readLength(&buffer) {
        case .needMore: return .needMore
        case .invalid: return .invalid
        case .value(let length):
            guard length <= UInt64(Int32.max) else { return .invalid }
            return buffer.moveReaderIndexIfPossible(Int(length)) ? .done : .needMore
        case .encoded(let kind):
            switch kind {
            case 0: return buffer.moveReaderIndexIfPossible(1) ? .done : .needMore
            case 1: return buffer.moveReaderIndexIfPossible(2) ? .done : .needMore
            case 2: return buffer.moveReaderIndexIfPossible(4) ? .done : .needMore
            case 3: // LZF: compressed length, original length, compressed bytes
                guard case .value(let compressed) = readLength(&buffer) else { return buffer.readableBytes == 0 ? .needMore : .invalid }
                guard case .value = readLength(&buffer) else { return buffer.readableBytes == 0 ? .needMore : .invalid }
                guard compressed <= UInt64(Int32.max) else { return .invalid }
                return buffer.moveReaderIndexIfPossible(Int(compressed)) ? .done : .needMore
            default: return .invalid
            }
        }
    }
}

extension ByteBuffer {
    fileprivate mutating func moveReaderIndexIfPossible(_ count: Int) -> Bool {
        guard readableBytes >= count else { return false }
        moveReaderIndex(forwardBy: count)
        return true
    }
}
