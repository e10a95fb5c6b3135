@testable import Bench
import NIOCore
import RESP
import Testing

@Suite struct WireFormatTests {
    func encoded(_ template: RequestTemplate, key: UInt64, element: UInt64 = 0) -> [RESPValue] {
        var buffer = ByteBuffer()
        template.write(key: KeyDigits(key), element: element, into: &buffer)
        var values: [RESPValue] = []
        while buffer.readableBytes > 0, let value = try? RESPParser().parse(from: &buffer) { values.append(value) }
        #expect(buffer.readableBytes == 0)
        return values
    }

    func strings(_ value: RESPValue) -> [String] { value.array?.compactMap(\.string) ?? [] }

    @Test func templatesEncodeTheCommandsRedisBenchmarkSends() {
        let set = encoded(RequestTemplate(.set, dataSize: 3), key: 42)
        #expect(set.count == 1)
        #expect(strings(set[0]) == ["SET", "key:000000000042", "042"])
        let long = encoded(RequestTemplate(.set, dataSize: 16), key: 123_456_789_012)
        #expect(strings(long[0]) == ["SET", "key:123456789012", "123456789012xxxx"])
        #expect(strings(encoded(RequestTemplate(.get, dataSize: 3), key: 7)[0]) == ["GET", "key:000000000007"])
        #expect(strings(encoded(RequestTemplate(.hset, dataSize: 3), key: 1, element: 2)[0])
                == ["HSET", "myhash:000000000001", "element:000000000002", "001"])
        #expect(strings(encoded(RequestTemplate(.zadd, dataSize: 3), key: 1, element: 9)[0])
                == ["ZADD", "myzset:000000000001", "0", "element:000000000009"])
        #expect(strings(encoded(RequestTemplate(.ping, dataSize: 3), key: 1)[0]) == ["PING"])
        let mset = strings(encoded(RequestTemplate(.mset, dataSize: 3), key: 5)[0])
        #expect(mset.count == 21)
        #expect(mset[1] == "key:{000000000005}:0" && mset[19] == "key:{000000000005}:9" && mset[20] == "005")
        for operation in BenchOperation.allCases {
            #expect(encoded(RequestTemplate(operation, dataSize: 3), key: 99, element: 3).count == 1)
        }
    }

    @Test func slotsMatchKeySlotIncludingHashTags() {
        for key: UInt64 in [0, 1, 42, 99_999, 123_456_789_012] {
            let digits = KeyDigits(key)
            let text = String(format: "%012llu", key)
            #expect(RequestTemplate(.set, dataSize: 3).slot(digits) == KeySlot.slot(for: "key:" + text))
            #expect(RequestTemplate(.incr, dataSize: 3).slot(digits) == KeySlot.slot(for: "counter:" + text))
            #expect(RequestTemplate(.mset, dataSize: 3).slot(digits) == KeySlot.slot(for: "key:{\(text)}:3"))
        }
    }

    @Test func storedValueCheckAcceptsOnlyTheKeysValue() {
        func check(_ text: String, key: UInt64, size: Int) -> Bool {
            Array(text.utf8).withUnsafeBytes { RequestTemplate.isStoredValue($0, key: KeyDigits(key), dataSize: size) }
        }
        #expect(check("042", key: 42, size: 3))
        #expect(!check("043", key: 42, size: 3))
        #expect(!check("0042", key: 42, size: 3))
        #expect(check("000000000042xx", key: 42, size: 14))
        #expect(!check("000000000042xy", key: 42, size: 14))
    }

    @Test func scannerFramesEveryReplyAtEverySplit() throws {
        let stream = "+OK\r\n:12\r\n$3\r\nabc\r\n$-1\r\n-MOVED 1 127.0.0.1:7000\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*-1\r\n$0\r\n\r\n"
        let bytes = Array(stream.utf8)
        let ends = [5, 10, 19, 24, 49, 68, 73, 79]
        for cut in 0...bytes.count {
            var found: [Int] = []
            var position = 0
            try bytes[0..<cut].withUnsafeBytes { prefix in
                while true {
                    let end = try ReplyScanner.end(of: prefix, at: position)
                    if end < 0 { break }
                    found.append(end)
                    position = end
                }
            }
            #expect(found == ends.filter { $0 <= cut }, "cut at \(cut)")
        }
        #expect(throws: RedisError.self) { try Array("?x\r\n".utf8).withUnsafeBytes { try ReplyScanner.end(of: $0, at: 0) } }
        #expect(throws: RedisError.self) { try Array("+OK\rx".utf8).withUnsafeBytes { try ReplyScanner.end(of: $0, at: 0) } }
    }

    @Test func keyPatternsStayInTheKeyspace() {
        var settings = BenchmarkSettings(clients: 4, keyspace: 1000, keyPattern: .sequential)
        var sequential = KeyGenerator(settings: settings, clientIndex: 1, zipf: nil, seed: 1)
        #expect((0..<4).map { _ in sequential.nextKey() } == [1, 5, 9, 13])
        settings.keyPattern = .zipf
        let zipf = ZipfDistribution(count: 1000)
        var skewed = KeyGenerator(settings: settings, clientIndex: 0, zipf: zipf, seed: 7)
        var hits = [Int](repeating: 0, count: 1000)
        for _ in 0..<20_000 { hits[Int(skewed.nextKey())] += 1 }
        // Zipf: the first key is the most popular by far; every draw is inside the keyspace.
        #expect(hits[0] > hits[500] * 20)
        settings.keyPattern = .uniform
        var uniform = KeyGenerator(settings: settings, clientIndex: 0, zipf: nil, seed: 7)
        #expect((0..<10_000).allSatisfy { _ in uniform.nextKey() < 1000 })
        var fixed = KeyGenerator(settings: BenchmarkSettings(clients: 4), clientIndex: 3, zipf: nil, seed: 7)
        #expect(fixed.nextKey() == 3 && fixed.nextKey() == 3)
    }

    @Test func fixedKeysSpreadTheClientsEvenlyOverTheMasters() {
        // Three masters as in a default cluster: slots 0-5460, 5461-10922, 10923-16383.
        let template = RequestTemplate(.set, dataSize: 3)
        let masterOf = { (digits: KeyDigits) -> Int in min(template.slot(digits) / 5461, 2) }
        let placement = ClientPlacement(clients: 50, loops: 2, masters: 3, bindsClientsToMasters: true)
        let keys = (0..<50).map { KeyGenerator.balancedFixedKey(client: $0, clients: 50, master: placement.boundMasters[$0], masterOf: masterOf) }
        #expect(Set(keys).count == 50, "every client has a key of its own")
        for (client, key) in keys.enumerated() {
            #expect(key % 50 == UInt64(client))
            #expect(masterOf(KeyDigits(key)) == client % 3, "client \(client) on master \(client % 3)")
        }
        // One node: the client's own number.
        let single = ClientPlacement(clients: 50, loops: 2, masters: 1, bindsClientsToMasters: true)
        #expect(single.boundMasters[7] == nil)
        #expect(KeyGenerator.balancedFixedKey(client: 7, clients: 50, master: single.boundMasters[7], masterOf: { _ in 0 }) == 7)
    }

    @Test func clientsOfOneMasterShareOneEventLoop() {
        // Three masters, three loops: loop m serves exactly the clients of master m.
        let three = ClientPlacement(clients: 50, loops: 3, masters: 3, bindsClientsToMasters: true).loops
        #expect(three.enumerated().allSatisfy { client, loop in loop == client % 3 })
        // More masters than loops: whole masters per loop.
        let six = ClientPlacement(clients: 12, loops: 4, masters: 6, bindsClientsToMasters: true).loops
        #expect(six == [0, 1, 2, 3, 0, 1, 0, 1, 2, 3, 0, 1])
        // Fewer masters than loops, or clients sending anywhere: round robin.
        #expect(ClientPlacement(clients: 5, loops: 2, masters: 1, bindsClientsToMasters: true).loops == [0, 1, 0, 1, 0])
        #expect(ClientPlacement(clients: 5, loops: 2, masters: 3, bindsClientsToMasters: false).loops == [0, 1, 0, 1, 0])
        // Each client's place on its loop, counted in client order.
        #expect(ClientPlacement(clients: 12, loops: 4, masters: 6, bindsClientsToMasters: true).positions == [0, 0, 0, 0, 1, 1, 2, 2, 1, 1, 3, 3])
        // Default loops: one per master up to two per core, never fewer than the cores.
        #expect(ClientPlacement.eventLoopCount(cores: 2, masters: 3, bindsClientsToMasters: true) == 3)
        #expect(ClientPlacement.eventLoopCount(cores: 2, masters: 10, bindsClientsToMasters: true) == 4)
        #expect(ClientPlacement.eventLoopCount(cores: 8, masters: 3, bindsClientsToMasters: true) == 8)
        #expect(ClientPlacement.eventLoopCount(cores: 2, masters: 3, bindsClientsToMasters: false) == 2)
        // Uniform and fixed keys bind clients to masters; sequential and zipf keep their order and skew.
        #expect(KeyGenerator.bindsClientsToMasters(BenchmarkSettings()))
        #expect(KeyGenerator.bindsClientsToMasters(BenchmarkSettings(keyspace: 100, keyPattern: .uniform)))
        #expect(!KeyGenerator.bindsClientsToMasters(BenchmarkSettings(keyspace: 100, keyPattern: .zipf)))
        #expect(!KeyGenerator.bindsClientsToMasters(BenchmarkSettings(keyspace: 100, keyPattern: .sequential)))
    }
}
