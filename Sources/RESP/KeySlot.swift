/// Redis Cluster's key -> slot mapping: CRC16 (XMODEM) of the key or its hash tag, mod 16384.
public enum KeySlot {
    public static let count = 16384

    public static func slot(for key: String) -> Int {
        slot(forBytes: key.utf8)
    }

    /// Hash tag rule exactly as Redis `keyHashSlot`: the first `{`, then the first `}` after it;
    /// when there is content between them only that content is hashed.
    public static func slot<Bytes: Collection<UInt8>>(forBytes key: Bytes) -> Int {
        if let slot = key.withContiguousStorageIfAvailable({ slot(in: $0) }) { return slot }
        return Array(key).withUnsafeBufferPointer { slot(in: $0) }
    }

    public static func crc16<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    /// The slot of a key held in memory (no generic dispatch: for hot loops).
    public static func slot(in key: UnsafeBufferPointer<UInt8>) -> Int {
        var hashed = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
           let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
           close > open + 1 {
            hashed = key[(open + 1)..<close]
        }
        return Int(crc16(hashed) & 0x3FFF)
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
