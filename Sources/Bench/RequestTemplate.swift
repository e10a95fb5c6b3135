import NIOCore
import RESP

/// Twelve ASCII digits of a key or element number, zero-padded (redis-benchmark's `__rand_int__`).
struct KeyDigits {
    var storage: (UInt64, UInt64) = (0, 0)

    @inline(__always)
    init(_ number: UInt64) {
        var value = number
        withUnsafeMutableBytes(of: &storage) { bytes in
            var index = 11
            while index >= 0 {
                bytes[index] = UInt8(truncatingIfNeeded: value % 10) &+ 48
                value /= 10
                index -= 1
            }
        }
    }

    static let width = 12
}

/// A request pre-encoded in RESP with holes for the key number, the element number and the value;
/// sending one is a copy and a few patches, with no allocation. A class: taking one from the
/// loop's table costs one reference, not one per array.
final class RequestTemplate {
    let operation: BenchOperation
    let bytes: [UInt8]
    let keyOffsets: [Int]
    let elementOffsets: [Int]
    /// Where the value's leading digits go (the value is the key's digits, padded with `x`).
    let valueOffsets: [Int]
    let valueDigits: Int
    /// CRC16 state after the bytes of the key that precede its digits; nil when only the digits are
    /// hashed (the key's hash tag is `{digits}`).
    let prefixCRC: UInt16?
    let needsElement: Bool
    private let table = crcTable

    init(_ operation: BenchOperation, dataSize: Int) {
        self.operation = operation
        var builder = Builder()
        let digits = String(repeating: "0", count: KeyDigits.width)
        let valueDigits = min(dataSize, KeyDigits.width)
        let value = String(repeating: "0", count: valueDigits) + String(repeating: "x", count: dataSize - valueDigits)
        var keyPrefix = ""
        var hashTagged = false
        switch operation {
        case .ping:
            builder.header(1); builder.bulk("PING")
        case .set:
            keyPrefix = "key:"
            builder.header(3); builder.bulk("SET"); builder.key(keyPrefix, digits); builder.value(value)
        case .get:
            keyPrefix = "key:"
            builder.header(2); builder.bulk("GET"); builder.key(keyPrefix, digits)
        case .incr:
            keyPrefix = "counter:"
            builder.header(2); builder.bulk("INCR"); builder.key(keyPrefix, digits)
        case .lpush, .rpush:
            keyPrefix = "mylist:"
            builder.header(3); builder.bulk(operation.rawValue.uppercased()); builder.key(keyPrefix, digits); builder.value(value)
        case .lpop, .rpop:
            keyPrefix = "mylist:"
            builder.header(2); builder.bulk(operation.rawValue.uppercased()); builder.key(keyPrefix, digits)
        case .sadd:
            keyPrefix = "myset:"
            builder.header(3); builder.bulk("SADD"); builder.key(keyPrefix, digits); builder.element(digits)
        case .spop:
            keyPrefix = "myset:"
            builder.header(2); builder.bulk("SPOP"); builder.key(keyPrefix, digits)
        case .hset:
            keyPrefix = "myhash:"
            builder.header(4); builder.bulk("HSET"); builder.key(keyPrefix, digits); builder.element(digits); builder.value(value)
        case .zadd:
            keyPrefix = "myzset:"
            builder.header(4); builder.bulk("ZADD"); builder.key(keyPrefix, digits); builder.bulk("0"); builder.element(digits)
        case .mset:
            hashTagged = true
            builder.header(1 + 2 * BenchOperation.msetKeyCount); builder.bulk("MSET")
            for index in 0..<BenchOperation.msetKeyCount {
                builder.taggedKey(digits, suffix: ":\(index)")
                builder.value(value)
            }
        }
        bytes = builder.bytes
        keyOffsets = builder.keyOffsets
        elementOffsets = builder.elementOffsets
        valueOffsets = builder.valueOffsets
        self.valueDigits = valueDigits
        needsElement = !builder.elementOffsets.isEmpty
        if operation == .ping {
            prefixCRC = 0
        } else {
            prefixCRC = hashTagged ? nil : KeySlot.crc16(Array(keyPrefix.utf8))
        }
    }

    /// The slot of the request's key; PING has none (slot 0: any node answers it).
    @inline(__always)
    func slot(_ digits: KeyDigits) -> Int {
        if operation == .ping { return 0 }
        var crc = prefixCRC ?? 0
        var storage = digits.storage
        withUnsafeBytes(of: &storage) { bytes in
            for index in 0..<KeyDigits.width {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ bytes[index])]
            }
        }
        return Int(crc & 0x3FFF)
    }

    /// Appends the request for `key` (and `element`) to `buffer`.
    @inline(__always)
    func write(key: KeyDigits, element: UInt64, into buffer: inout ByteBuffer) {
        let length = bytes.count
        buffer.reserveCapacity(minimumWritableBytes: length)
        let elementDigits = needsElement ? KeyDigits(element) : KeyDigits(0)
        var keyStorage = key.storage
        var elementStorage = elementDigits.storage
        let valueDigits = self.valueDigits
        bytes.withUnsafeBytes { template in
            withUnsafeBytes(of: &keyStorage) { keyBytes in
                withUnsafeBytes(of: &elementStorage) { elementBytes in
                    _ = buffer.withUnsafeMutableWritableBytes { out in
                        guard let base = out.baseAddress, let source = template.baseAddress,
                              let keySource = keyBytes.baseAddress, let elementSource = elementBytes.baseAddress
                        else { return 0 }
                        base.copyMemory(from: source, byteCount: length)
                        for offset in keyOffsets { (base + offset).copyMemory(from: keySource, byteCount: KeyDigits.width) }
                        for offset in elementOffsets {
                            (base + offset).copyMemory(from: elementSource, byteCount: KeyDigits.width)
                        }
                        for offset in valueOffsets {
                            (base + offset).copyMemory(from: keySource + (KeyDigits.width - valueDigits), byteCount: valueDigits)
                        }
                        return 0
                    }
                }
            }
        }
        buffer.moveWriterIndex(forwardBy: length)
    }

    /// Whether `value` is exactly what SET writes for this key: its last digits, then `x` padding.
    static func isStoredValue(_ value: UnsafeRawBufferPointer, key: KeyDigits, dataSize: Int) -> Bool {
        guard value.count == dataSize else { return false }
        let digits = min(dataSize, KeyDigits.width)
        var storage = key.storage
        let digitsMatch = withUnsafeBytes(of: &storage) { keyBytes in
            for index in 0..<digits where value[index] != keyBytes[KeyDigits.width - digits + index] { return false }
            return true
        }
        guard digitsMatch else { return false }
        var index = digits
        while index < dataSize {
            if value[index] != UInt8(ascii: "x") { return false }
            index += 1
        }
        return true
    }

    private struct Builder {
        var bytes: [UInt8] = []
        var keyOffsets: [Int] = []
        var elementOffsets: [Int] = []
        var valueOffsets: [Int] = []

        mutating func header(_ count: Int) { bytes += Array("*\(count)\r\n".utf8) }

        mutating func bulk(_ text: String) {
            bytes += Array("$\(text.utf8.count)\r\n".utf8)
            bytes += Array(text.utf8)
            bytes += [13, 10]
        }

        /// A bulk string whose body starts at the returned offset.
        private mutating func bulkBody(_ text: String) -> Int {
            bytes += Array("$\(text.utf8.count)\r\n".utf8)
            let offset = bytes.count
            bytes += Array(text.utf8)
            bytes += [13, 10]
            return offset
        }

        mutating func key(_ prefix: String, _ digits: String) {
            keyOffsets.append(bulkBody(prefix + digits) + prefix.utf8.count)
        }

        /// `key:{digits}suffix`: the hash tag keeps every key of one request in one slot.
        mutating func taggedKey(_ digits: String, suffix: String) {
            keyOffsets.append(bulkBody("key:{" + digits + "}" + suffix) + 5)
        }

        mutating func element(_ digits: String) {
            elementOffsets.append(bulkBody("element:" + digits) + 8)
        }

        mutating func value(_ value: String) {
            valueOffsets.append(bulkBody(value))
        }
    }
}

private let crcTable: [UInt16] = (0..<256).map { index in
    var crc = UInt16(index) << 8
    for _ in 0..<8 {
        crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
    }
    return crc
}
