import NIOCore
import RESP
import TestSupport
import Testing

@Suite struct KeySlotTests {
    @Test func knownVectors() {
        // CRC16/XMODEM check value, and slots from the Redis Cluster spec and redis-cli.
        #expect(KeySlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(KeySlot.slot(for: "foo") == 12182)
        #expect(KeySlot.slot(for: "bar") == 5061)
        #expect(KeySlot.slot(for: "hello") == 866)
        #expect(KeySlot.slot(for: "{user1000}.following") == KeySlot.slot(for: "{user1000}.followers"))
        #expect(KeySlot.slot(for: "{user1000}.following") == KeySlot.slot(for: "user1000"))
    }

    @Test func hashTagEdgeCases() {
        // Empty tag: the whole key is hashed.
        #expect(KeySlot.slot(for: "{}") == Int(KeySlot.crc16(Array("{}".utf8)) & 16383))
        #expect(KeySlot.slot(for: "foo{}{bar}") == Int(KeySlot.crc16(Array("foo{}{bar}".utf8)) & 16383))
        // First '{', then the first '}' after it: "{a".
        #expect(KeySlot.slot(for: "{{a}}") == KeySlot.slot(for: "{a"))
        #expect(KeySlot.slot(for: "a{b}c{d}") == KeySlot.slot(for: "b"))
        #expect(KeySlot.slot(for: "{") == Int(KeySlot.crc16(Array("{".utf8)) & 16383))
        #expect(KeySlot.slot(for: "}") == Int(KeySlot.crc16(Array("}".utf8)) & 16383))
        #expect(KeySlot.slot(for: "") == 0)
        #expect(KeySlot.slot(forBytes: [UInt8]()) == 0)
        // Non-contiguous collections agree with contiguous ones.
        #expect(KeySlot.slot(forBytes: Array("a{b}c".utf8).lazy.map { $0 }) == KeySlot.slot(for: "b"))
    }

    /// Compares with the server's own CLUSTER KEYSLOT for random binary keys rich in braces.
    @Test func agreesWithRedis() async throws {
        let server = try await RedisServerProcess.start(extraConfig: ["cluster-enabled yes"])
        defer { server.stop() }
        let connection = try await server.connect()

        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("{}{}ab".utf8) + [0, 0xFF, 13, 10, 0x80]
        var keys: [[UInt8]] = ["{}", "{{a}}", "a{b}c{d}", "{", "}", "foo{}{bar}", "", "{user1000}.following"].map { Array($0.utf8) }
        while keys.count < 10_008 {
            let length = Int.random(in: 0...12, using: &generator)
            keys.append((0..<length).map { _ in
                Bool.random(using: &generator) ? alphabet.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
            })
        }
        var mismatches: [String] = []
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            let commands = batch.map { RedisCommand([ByteBuffer(string: "CLUSTER"), ByteBuffer(string: "KEYSLOT"), ByteBuffer(bytes: $0)]) }
            let replies = try await connection.pipeline(commands)
            for (key, reply) in zip(batch, replies) {
                let serverSlot = try reply.get().int
                if serverSlot != Int64(KeySlot.slot(forBytes: key)) { mismatches.append("\(key) server \(String(describing: serverSlot))") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        await connection.close()
    }
}
