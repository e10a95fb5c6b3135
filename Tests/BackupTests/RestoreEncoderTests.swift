@testable import Backup
import ClusterOps
import NIOCore
import RESP
import Testing

/// Which command carries which key, read back from the bytes the encoder produced.
struct RestoreEncoderTests {
    /// Three masters: slots 0-5460, 5461-10922, 10923-16383.
    static func makeRouter() throws -> SlotRouter {
        let lines = """
            a000000000000000000000000000000000000001 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460
            a000000000000000000000000000000000000002 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922
            a000000000000000000000000000000000000003 127.0.0.1:7003@17003 master - 0 0 3 connected 10923-16383
            """
        return try SlotRouter(topology: ClusterTopology.parse(lines))
    }

    static func string(_ key: String, _ value: String, expiresAtMs: Int64? = nil, idle: UInt64? = nil) -> RDBEntry {
        RDBEntry(database: 0, key: Array(key.utf8), valueType: 0, expiresAtMs: expiresAtMs, idleSeconds: idle,
                 dumpPayload: [], stringValue: Array(value.utf8))
    }

    static func hash(_ key: String, expiresAtMs: Int64? = nil, idle: UInt64? = nil, frequency: UInt8? = nil) -> RDBEntry {
        RDBEntry(database: 0, key: Array(key.utf8), valueType: 16, expiresAtMs: expiresAtMs, idleSeconds: idle,
                 frequency: frequency, dumpPayload: [16, 1, 2, 10, 0])
    }

    /// Every command of every batch, as its parts' text, in order; checks each write's offset.
    static func commands(_ batches: [EncodedBatch]) throws -> [(master: Int, parts: [String], write: RestoreWrite)] {
        var result: [(Int, [String], RestoreWrite)] = []
        for batch in batches {
            var bytes = batch.bytes
            var keys = 0
            for write in batch.writes {
                #expect(bytes.readerIndex - batch.bytes.readerIndex == write.offset)
                let parts = try #require(try RESPParser().parse(from: &bytes)?.array)
                result.append((batch.master, parts.map { String(buffer: $0.bytes ?? ByteBuffer()) }, write))
                keys += write.keys
            }
            #expect(bytes.readableBytes == 0, "no bytes after the last write")
            #expect(keys == batch.keys)
        }
        return result
    }

    @Test func stringsOfOneSlotShareOneMSETNXAndOtherValuesGoAsRESTORE() throws {
        let router = try Self.makeRouter()
        var encoder = RestoreEncoder(router: router, options: RestoreOptions())
        encoder.add(Self.string("{user}:1", "one"))
        encoder.add(Self.hash("h"))
        encoder.add(Self.string("{user}:2", "two"))
        encoder.add(Self.string("solo", "x"))
        encoder.add(Self.hash("h2", expiresAtMs: 1_900_000_000_000, idle: 7))
        encoder.finish()
        let commands = try Self.commands(encoder.takeSealed())
        let byText = Dictionary(uniqueKeysWithValues: commands.map { ($0.parts.joined(separator: " "), $0) })
        let user = try #require(byText["MSETNX {user}:1 one {user}:2 two"])
        #expect(user.master == router.masterIndex(forKey: Array("{user}:1".utf8)))
        #expect(user.write.kind == .msetnx && user.write.keys == 2)
        #expect(byText["MSETNX solo x"]?.write.keys == 1)
        let payload = String(decoding: [16, 1, 2, 10, 0] as [UInt8], as: UTF8.self)
        #expect(byText["RESTORE h 0 \(payload)"]?.write.kind == .restore)
        // Without --keep-access-stats the idle time is not sent.
        #expect(byText["RESTORE h2 1900000000000 \(payload) ABSTTL"]?.master == router.masterIndex(forKey: Array("h2".utf8)))
        #expect(commands.count == 4)
        #expect(encoder.takeSealed().isEmpty)
    }

    @Test func replaceWritesMSETAndExpiringStringsGoAsSETPXAT() throws {
        let router = try Self.makeRouter()
        for replace in [false, true] {
            var encoder = RestoreEncoder(router: router, options: RestoreOptions(replace: replace))
            encoder.add(Self.string("a", "1"))
            encoder.add(Self.string("b", "2", expiresAtMs: 1_900_000_000_123))
            encoder.add(Self.hash("c"))
            encoder.finish()
            let texts = Set(try Self.commands(encoder.takeSealed()).map { $0.parts.joined(separator: " ") })
            let payload = String(decoding: [16, 1, 2, 10, 0] as [UInt8], as: UTF8.self)
            if replace {
                #expect(texts == ["MSET a 1", "SET b 2 PXAT 1900000000123", "RESTORE c 0 \(payload) REPLACE"])
            } else {
                #expect(texts == ["MSETNX a 1", "SET b 2 PXAT 1900000000123 NX", "RESTORE c 0 \(payload)"])
            }
        }
    }

    @Test func keepingAccessStatsSendsIdleTimeOrFrequency() throws {
        let router = try Self.makeRouter()
        var encoder = RestoreEncoder(router: router, options: RestoreOptions(replace: true, keepAccessStats: true))
        encoder.add(Self.hash("idle", expiresAtMs: 1_900_000_000_000, idle: 42))
        encoder.add(Self.hash("hot", frequency: 200))
        encoder.add(Self.hash("plain"))
        encoder.finish()
        let texts = Set(try Self.commands(encoder.takeSealed()).map { Array($0.parts.dropFirst(4)).joined(separator: " ") })
        #expect(texts == ["ABSTTL REPLACE IDLETIME 42", "REPLACE FREQ 200", "REPLACE"])
    }

    @Test func groupsAreWrittenAtTheirKeyLimitAndWhenTogetherTooLarge() throws {
        let router = try Self.makeRouter()
        var encoder = RestoreEncoder(router: router, options: RestoreOptions(keysPerGroup: 2, maxGroupedBytes: 1 << 20))
        for index in 0..<5 { encoder.add(Self.string("{t}:\(index)", "v\(index)")) }
        // Two full groups are written at once; the fifth key waits for the end of the file.
        encoder.finish()
        let counts = try Self.commands(encoder.takeSealed()).map(\.write.keys)
        #expect(counts == [2, 2, 1])

        // 100 slots with one key each: 40 bytes held back at most, so groups go out as they pile up.
        var small = RestoreEncoder(router: router, options: RestoreOptions(maxGroupedBytes: 40))
        for index in 0..<100 { small.add(Self.string("k\(index)", "v")) }
        var sealed = small.takeSealed()
        small.finish()
        sealed += small.takeSealed()
        let beforeFinish = try Self.commands(sealed)
        #expect(beforeFinish.map(\.write.keys).reduce(0, +) == 100)
        #expect(beforeFinish.allSatisfy { $0.write.keys <= 2 })
    }

    @Test func batchesAreSealedAtTheirDepthAndSize() throws {
        let router = try Self.makeRouter()
        var encoder = RestoreEncoder(router: router, options: RestoreOptions(pipelineDepth: 3))
        // One slot, one master: groups of one key each (the group limit is 1).
        let options = RestoreOptions(pipelineDepth: 3, keysPerGroup: 1)
        var grouped = RestoreEncoder(router: router, options: options)
        for index in 0..<7 { grouped.add(Self.string("{s}:\(index)", "v")) }
        let sealedEarly = grouped.takeSealed()
        #expect(sealedEarly.map(\.writes.count) == [3, 3])
        grouped.finish()
        #expect(grouped.takeSealed().map(\.writes.count) == [1])

        for index in 0..<4 { encoder.add(Self.hash("{h}:\(index)")) }
        #expect(encoder.takeSealed().map(\.keys) == [3])

        var bySize = RestoreEncoder(router: router, options: RestoreOptions(maxBatchBytes: 100))
        let value = String(repeating: "x", count: 80)
        bySize.add(Self.string("{b}:1", value, expiresAtMs: 1_900_000_000_000))
        bySize.add(Self.string("{b}:2", value, expiresAtMs: 1_900_000_000_000))
        #expect(bySize.takeSealed().map(\.writes.count) == [1, 1])
    }

    @Test func refusalsAreFoundInTheRepliesAndNameTheirKeys() throws {
        let router = try Self.makeRouter()
        var encoder = RestoreEncoder(router: router, options: RestoreOptions())
        encoder.add(Self.string("{g}:a", "1"))
        encoder.add(Self.string("{g}:b", "2"))
        encoder.add(Self.string("e", "3", expiresAtMs: 1_900_000_000_000))
        encoder.finish()
        let batches = encoder.takeSealed()
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: 7001)
        for batch in batches {
            for write in batch.writes {
                let keys = RestoreRefusal.keys(of: write, in: batch.bytes).map { String(decoding: $0, as: UTF8.self) }
                switch write.kind {
                case .msetnx:
                    #expect(keys == ["{g}:a", "{g}:b"])
                    #expect(RestoreRefusal.of(write, reply: .success(.integer(1))) == nil)
                    #expect(isKeyExists(RestoreRefusal.of(write, reply: .success(.integer(0)))))
                case .setWithExpiry:
                    #expect(keys == ["e"])
                    #expect(RestoreRefusal.of(write, reply: .success(.simpleString("OK"))) == nil)
                    #expect(isKeyExists(RestoreRefusal.of(write, reply: .success(.bulkString(nil)))))
                default:
                    Issue.record("unexpected command kind \(write.kind)")
                }
                let moved = RedisError(serverReply: "MOVED 3999 127.0.0.1:7002", endpoint: endpoint)
                guard case .error = RestoreRefusal.of(write, reply: .failure(moved)) else {
                    Issue.record("an error reply is a refusal")
                    continue
                }
                let line = RestoreRefusal.failure(moved, key: Array(keys[0].utf8), master: "127.0.0.1:7001").message
                #expect(line.contains("slot 3999 of key \"\(keys[0])\" moved from 127.0.0.1:7001 to 127.0.0.1:7002"))
            }
        }
        let restore = RestoreWrite(kind: .restore, keys: 1, offset: 0)
        guard case .unexpected = RestoreRefusal.of(restore, reply: .success(.integer(1))) else {
            Issue.record("RESTORE answers +OK only")
            return
        }
    }

    private func isKeyExists(_ refusal: RestoreRefusal?) -> Bool {
        if case .keyExists = refusal { return true }
        return false
    }

    @Test func expiredKeysAreSkippedByTheirAbsoluteExpiry() {
        let entry = Self.hash("k", expiresAtMs: 5000)
        #expect(RestoreCommand.isExpired(entry, nowMs: 5000))
        #expect(!RestoreCommand.isExpired(entry, nowMs: 4999))
        #expect(!RestoreCommand.isExpired(Self.hash("k"), nowMs: .max))
    }

    @Test func bulkNumbersAndHeadersAreEncodedLikeRedisExpects() {
        var bytes = RESPBytes()
        bytes.appendArrayHeader(12)
        bytes.appendBulk(decimal: 0)
        bytes.appendBulk(decimal: -45)
        bytes.appendBulk(decimal: 1_900_000_000_123)
        bytes.appendBulk("OK")
        #expect(String(decoding: bytes.bytes, as: UTF8.self) == "*12\r\n$1\r\n0\r\n$3\r\n-45\r\n$13\r\n1900000000123\r\n$2\r\nOK\r\n")
    }
}
