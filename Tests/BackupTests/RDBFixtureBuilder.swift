import Backup

/// Writes RDB files by hand, for formats and cases the local Redis cannot produce
/// (Redis 7.2's RDB 11 types, modules, corrupt files).
struct RDBFixtureBuilder {
    private(set) var bytes: [UInt8]
    let version: Int

    init(version: Int) {
        self.version = version
        let digits = String(version)
        bytes = Array(("REDIS" + String(repeating: "0", count: 4 - digits.count) + digits).utf8)
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func raw(_ values: [UInt8]) { bytes += values }

    static func length(_ value: UInt64) -> [UInt8] {
        switch value {
        case 0..<64: return [UInt8(value)]
        case 64..<16384: return [0x40 | UInt8(value >> 8), UInt8(value & 0xff)]
        case 16384...UInt64(UInt32.max): return [0x80] + bigEndian(value, width: 4)
        default: return [0x81] + bigEndian(value, width: 8)
        }
    }

    static func string(_ value: [UInt8]) -> [UInt8] { length(UInt64(value.count)) + value }
    static func string(_ value: String) -> [UInt8] { string(Array(value.utf8)) }

    static func bigEndian(_ value: UInt64, width: Int) -> [UInt8] {
        (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    static func littleEndian(_ value: UInt64, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    mutating func aux(_ name: String, _ value: String) {
        bytes += [0xFA] + Self.string(name) + Self.string(value)
    }

    mutating func selectDB(_ number: UInt64) { bytes += [0xFE] + Self.length(number) }

    mutating func resizeDB(_ keys: UInt64, _ expires: UInt64) { bytes += [0xFB] + Self.length(keys) + Self.length(expires) }

    mutating func expireMs(_ at: Int64) { bytes += [0xFC] + Self.littleEndian(UInt64(bitPattern: at), width: 8) }

    mutating func expireSeconds(_ at: Int32) { bytes += [0xFD] + Self.littleEndian(UInt64(UInt32(bitPattern: at)), width: 4) }

    mutating func idle(_ seconds: UInt64) { bytes += [0xF8] + Self.length(seconds) }

    mutating func frequency(_ value: UInt8) { bytes += [0xF9, value] }

    mutating func function(_ code: String) { bytes += [0xF5] + Self.string(code) }

    /// A key: the type byte, the key (already encoded), the value bytes.
    mutating func entry(type: UInt8, encodedKey: [UInt8], value: [UInt8]) {
        bytes += [type] + encodedKey + value
    }

    mutating func entry(type: UInt8, key: String, value: [UInt8]) {
        entry(type: type, encodedKey: Self.string(key), value: value)
    }

    /// EOF and the CRC64 of everything before it (or zero: "rdbchecksum no").
    mutating func finish(checksum: Bool = true) {
        bytes.append(0xFF)
        bytes += Self.littleEndian(checksum ? CRC64.checksum(bytes) : 0, width: 8)
    }

    /// The DUMP payload Redis would produce for a value.
    func payload(type: UInt8, value: [UInt8]) -> [UInt8] {
        var payload = [type] + value + [UInt8(version & 0xff), UInt8(version >> 8)]
        payload += Self.littleEndian(CRC64.checksum(payload), width: 8)
        return payload
    }

    /// A module type id as Redis builds it: 9 characters of 6 bits, then a 10-bit encoding version.
    static func moduleId(name: String, encodingVersion: UInt64) -> UInt64 {
        let charset = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var id: UInt64 = 0
        for character in name { id = id << 6 | UInt64(charset.firstIndex(of: character) ?? 0) }
        return id << 10 | encodingVersion
    }
}

/// Returns a few bytes per read, so every buffer boundary case is crossed.
final class RDBDribblingSource: RDBByteSource {
    private let bytes: [UInt8]
    private var position = 0
    private var step = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var totalBytes: Int64? { Int64(bytes.count) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        step += 1
        let count = min(buffer.count, bytes.count - position, 1 + step % 7)
        guard count > 0 else { return 0 }
        for index in 0..<count { buffer[index] = bytes[position + index] }
        position += count
        return count
    }
}
