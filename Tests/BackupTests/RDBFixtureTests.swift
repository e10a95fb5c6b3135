import Backup
import RedisCtlCore
import Testing

/// The reader's extent logic on hand-built files: Redis 7.2's RDB 11 types (set listpack, stream
/// listpacks 3), every opcode, every length and string encoding; and its errors on bad input.
@Suite struct RDBFixtureTests {
    typealias B = RDBFixtureBuilder

    struct Fixture {
        var bytes: [UInt8]
        /// key -> (type, value bytes as written)
        var values: [(key: String, type: UInt8, value: [UInt8])]
        var builder: B
    }

    /// A 128-bit stream ID as streams store it raw: ms and seq, big-endian.
    static func streamId(_ ms: UInt64, _ seq: UInt64) -> [UInt8] {
        B.bigEndian(ms, width: 8) + B.bigEndian(seq, width: 8)
    }

    /// A stream of type 21: two listpack nodes, one group with two pending entries and two
    /// consumers, each with a seen and an active time.
    static func stream3Value(large: Bool) -> [UInt8] {
        var value = B.length(2)
        value += B.string(streamId(1_700_000_000_123, 1)) + B.string(Array(repeating: 0x5a, count: 70))
        value += B.string(streamId(1_700_000_000_456, 3)) + B.string(Array(repeating: 0xa5, count: large ? 20_000 : 90))
        value += B.length(41) + B.length(1_700_000_000_999) + B.length(2)  // length, last id
        value += B.length(1_700_000_000_123) + B.length(1)  // first id
        value += B.length(1_700_000_000_200) + B.length(7)  // max deleted entry id
        value += B.length(45)  // entries added
        value += B.length(1)  // groups
        value += B.string("readers") + B.length(1_700_000_000_456) + B.length(3) + B.length(44)
        value += B.length(2)  // group PEL
        for seq in [UInt64(1), 3] {
            value += streamId(1_700_000_000_456, seq) + B.littleEndian(1_700_000_100_000 + seq, width: 8) + B.length(seq + 1)
        }
        value += B.length(2)  // consumers
        for (name, seq) in [("alice", UInt64(1)), ("bob", UInt64(3))] {
            value += B.string(name) + B.littleEndian(1_700_000_200_000, width: 8) + B.littleEndian(1_700_000_300_000, width: 8)
            value += B.length(1) + streamId(1_700_000_000_456, seq)
        }
        return value
    }

    /// `large` adds values past the 14-bit length limit (too slow for the byte-by-byte tests).
    static func makeFixture(version: Int = 11, checksum: Bool = true, large: Bool = true) -> Fixture {
        var builder = B(version: version)
        var values: [(String, UInt8, [UInt8])] = []
        func add(_ type: UInt8, _ key: String, _ value: [UInt8], encodedKey: [UInt8]? = nil) {
            builder.entry(type: type, encodedKey: encodedKey ?? B.string(key), value: value)
            values.append((key, type, value))
        }
        builder.aux("redis-ver", "7.2.4")
        builder.aux("redis-bits", "64")
        builder.raw([0xFA] + B.string("ctime") + [0xC2] + B.littleEndian(1_700_000_000, width: 4))
        builder.function("#!lua name=fixturelib\nredis.register_function('f', function() return 1 end)")
        builder.selectDB(0)
        builder.resizeDB(9, 2)
        // Set listpack (7.2): an opaque blob to the reader.
        builder.expireMs(4_102_444_800_000)
        builder.idle(77)
        add(20, "set:listpack", B.string(Array(repeating: 0x11, count: 33)))
        builder.frequency(5)
        add(21, "stream:v3", stream3Value(large: large))
        // Strings: integer encodings, LZF, 14-bit and 32-bit lengths.
        add(0, "int8", [0xC0, 0x7B])
        add(0, "int16", [0xC1] + B.littleEndian(UInt64(UInt16(bitPattern: -1234)), width: 2))
        add(0, "int32", [0xC2] + B.littleEndian(UInt64(UInt32(bitPattern: 123_456_789)), width: 4))
        add(0, "lzf", [0xC3] + B.length(6) + B.length(9) + [0x02, 0x61, 0x62, 0x63, 0x80, 0x02])
        add(0, "len14", B.string(Array(repeating: 0x42, count: 300)))
        if large { add(0, "len32", B.string(Array(repeating: 0x43, count: 17_000))) }
        // Keys encoded as integers and as LZF.
        builder.expireSeconds(2_000_000_000)
        add(0, "-5", B.string("v"), encodedKey: [0xC0, 0xFB])
        add(0, "abcabcabc", B.string("w"), encodedKey: [0xC3] + B.length(6) + B.length(9) + [0x02, 0x61, 0x62, 0x63, 0x80, 0x02])
        // Older and collection encodings.
        add(3, "zset:v1", B.length(3) + B.string("a") + [3] + Array("1.5".utf8) + B.string("b") + [254] + B.string("c") + [253])
        add(5, "zset:v2", B.length(1) + B.string("a") + B.littleEndian(0x3ff8_0000_0000_0000, width: 8))
        add(4, "hash:table", B.length(2) + B.string("f1") + B.string("v1") + B.string("f2") + [0xC0, 0x02])
        add(1, "list:linked", B.length(2) + B.string("x") + B.string("y"))
        add(2, "set:table", B.length(2) + B.string("m1") + B.string("m2"))
        add(14, "list:quicklist", B.length(2) + B.string([1, 2, 3]) + B.string([4, 5]))
        add(18, "list:quicklist2", B.length(2) + B.length(2) + B.string([9, 9, 9]) + B.length(1) + B.string("plain node"))
        builder.selectDB(3)
        add(15, "stream:v1", B.length(0) + B.length(0) + B.length(5) + B.length(6) + B.length(1)
            + B.string("grp") + B.length(5) + B.length(6) + B.length(0)
            + B.length(1) + B.string("c") + B.littleEndian(1_700_000_000_000, width: 8) + B.length(0))
        builder.finish(checksum: checksum)
        return Fixture(bytes: builder.bytes, values: values, builder: builder)
    }

    static func readAll(_ reader: RDBFileReader) throws -> (entries: [RDBEntry], functions: [RDBFunction]) {
        var entries: [RDBEntry] = []
        var functions: [RDBFunction] = []
        while let item = try reader.next() {
            switch item {
            case .entry(let entry): entries.append(entry)
            case .function(let function): functions.append(function)
            }
        }
        return (entries, functions)
    }

    @Test func rdb11FixtureExtents() throws {
        let fixture = Self.makeFixture()
        for reader in [try RDBFileReader(bytes: fixture.bytes, name: "fixture.rdb"),
                       try RDBFileReader(source: RDBDribblingSource(fixture.bytes), name: "fixture.rdb")] {
            #expect(reader.header.rdbVersion == 11)
            #expect(reader.header.aux("redis-ver") == "7.2.4")
            #expect(reader.header.aux("ctime") == "1700000000")
            let (entries, functions) = try Self.readAll(reader)
            #expect(functions.map(\.libraryName) == ["fixturelib"])
            #expect(entries.map { String(decoding: $0.key, as: UTF8.self) } == fixture.values.map(\.key))
            for (entry, expected) in zip(entries, fixture.values) {
                #expect(entry.valueType == expected.type)
                #expect(entry.dumpPayload == fixture.builder.payload(type: expected.type, value: expected.value), "payload of \(expected.key)")
            }
            #expect(entries[0].expiresAtMs == 4_102_444_800_000 && entries[0].idleSeconds == 77 && entries[0].frequency == nil)
            #expect(entries[1].expiresAtMs == nil && entries[1].idleSeconds == nil && entries[1].frequency == 5)
            #expect(entries.first { $0.key == Array("-5".utf8) }?.expiresAtMs == 2_000_000_000_000)
            #expect(entries.last?.database == 3 && entries.first?.database == 0)
            #expect(reader.bytesRead == Int64(fixture.bytes.count))
            #expect(try reader.next() == nil)
        }
        let counted = try RDBFileReader.countKeys(RDBFileReader(bytes: fixture.bytes, payloads: false))
        #expect(counted.keys == fixture.values.count && counted.functions == 1 && counted.keysWithExpiry == 2)
    }

    @Test func crc64MatchesRedis() {
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0xe9c6_d914_c4b8_d9ca)
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }
        var split = CRC64()
        split.update(data[..<333])
        split.update(data[333...])
        #expect(split.value == CRC64.checksum(data))
    }

    @Test func everyTruncationIsReported() throws {
        let bytes = Self.makeFixture(large: false).bytes
        for length in 0..<bytes.count {
            do {
                _ = try Self.readAll(RDBFileReader(bytes: Array(bytes[..<length]), name: "cut.rdb"))
                Issue.record("a file cut at \(length) of \(bytes.count) bytes was accepted")
            } catch let error as GeneralFailure {
                #expect(error.category == .cannotRun)
                #expect(error.message.hasPrefix("cut.rdb: truncated at byte \(length) "), "cut at \(length): \(error.message)")
            }
        }
    }

    /// Every single-byte change is caught: by the structure, or else by the checksum.
    @Test func everyFlippedByteIsReported() throws {
        let bytes = Self.makeFixture(large: false).bytes
        // With eight zero bytes in a row, a misparse could end on a "disabled" checksum.
        #expect(!(0...(bytes.count - 8)).contains { bytes[$0..<($0 + 8)].allSatisfy { $0 == 0 } })
        for position in 0..<bytes.count {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var flipped = bytes
                flipped[position] ^= mask
                do {
                    _ = try Self.readAll(RDBFileReader(bytes: flipped, name: "flipped.rdb"))
                    Issue.record("byte \(position) ^ \(mask) was accepted")
                } catch let error as GeneralFailure {
                    #expect(error.category == .cannotRun && error.message.hasPrefix("flipped.rdb"))
                }
            }
        }
    }

    @Test func checksumMismatchAndDisabledChecksum() throws {
        var bytes = Self.makeFixture().bytes
        bytes[bytes.count - 1] ^= 0x10
        #expect(throws: GeneralFailure.self) { try Self.readAll(RDBFileReader(bytes: bytes, name: "x.rdb")) }
        do {
            _ = try Self.readAll(RDBFileReader(bytes: bytes, name: "x.rdb"))
        } catch let error as GeneralFailure {
            #expect(error.message.contains("checksum mismatch"))
        }
        // "rdbchecksum no" writes zero: accepted, and then no check is possible.
        let unchecked = Self.makeFixture(checksum: false).bytes
        #expect(try Self.readAll(RDBFileReader(bytes: unchecked)).entries.count == Self.makeFixture().values.count)
    }

    @Test func moduleValuesNameKeyAndModule() throws {
        var builder = B(version: 10)
        builder.selectDB(0)
        builder.entry(type: 7, key: "doc:1", value: B.length(B.moduleId(name: "ReJSON-RL", encodingVersion: 3)) + [1, 2, 3])
        builder.finish()
        #expect {
            _ = try Self.readAll(RDBFileReader(bytes: builder.bytes, name: "m.rdb"))
        } throws: { error in
            let message = (error as? GeneralFailure)?.message ?? ""
            return message.contains("doc:1") && message.contains("ReJSON-RL")
        }

        var aux = B(version: 10)
        aux.raw([0xF7] + B.length(B.moduleId(name: "graphdata", encodingVersion: 1)))
        aux.finish()
        #expect {
            _ = try Self.readAll(RDBFileReader(bytes: aux.bytes, name: "m.rdb"))
        } throws: { error in
            (error as? GeneralFailure)?.message.contains("module graphdata") == true
        }
    }

    @Test func unsupportedFormatsAreClearErrors() throws {
        var newer = B(version: 12)
        newer.finish()
        #expect {
            _ = try RDBFileReader(bytes: newer.bytes, name: "new.rdb")
        } throws: { error in
            (error as? GeneralFailure)?.message.contains("RDB version 12") == true
        }
        #expect {
            _ = try RDBFileReader(bytes: Array("not an rdb file".utf8), name: "text.rdb")
        } throws: { error in
            (error as? GeneralFailure)?.message.contains("not an RDB file") == true
        }
        var preGA = B(version: 10)
        preGA.raw([0xF6] + B.string("code"))
        preGA.finish()
        #expect {
            _ = try Self.readAll(RDBFileReader(bytes: preGA.bytes, name: "rc.rdb"))
        } throws: { error in
            (error as? GeneralFailure)?.message.contains("pre-release format") == true
        }
        var unknownType = B(version: 11)
        unknownType.entry(type: 42, key: "k", value: [])
        unknownType.finish()
        #expect {
            _ = try Self.readAll(RDBFileReader(bytes: unknownType.bytes, name: "u.rdb"))
        } throws: { error in
            (error as? GeneralFailure)?.message == "u.rdb: corrupt at byte 9: unknown value type 42; the RDB file is damaged"
        }
    }
}
