import NIOCore
import NIOTestUtils
import RESP
import Testing

/// Every type, with the bytes that carry it.
let typedSamples: [(String, RESPValue)] = [
    ("+OK\r\n", .simpleString("OK")),
    ("+\r\n", .simpleString("")),
    ("-ERR unknown command\r\n", .error("ERR unknown command")),
    (":0\r\n", .integer(0)),
    (":-42\r\n", .integer(-42)),
    (":9223372036854775807\r\n", .integer(.max)),
    (":-9223372036854775808\r\n", .integer(.min)),
    ("$5\r\nhello\r\n", .bulkString(ByteBuffer(string: "hello"))),
    ("$0\r\n\r\n", .bulkString(ByteBuffer())),
    ("$4\r\na\r\nb\r\n", .bulkString(ByteBuffer(string: "a\r\nb"))),
    ("$-1\r\n", .bulkString(nil)),
    ("*-1\r\n", .array(nil)),
    ("*0\r\n", .array([])),
    ("*2\r\n:1\r\n*1\r\n+x\r\n", .array([.integer(1), .array([.simpleString("x")])])),
    ("_\r\n", .null),
    (",3.25\r\n", .double(3.25)),
    (",-inf\r\n", .double(-.infinity)),
    (",inf\r\n", .double(.infinity)),
    ("#t\r\n", .boolean(true)),
    ("#f\r\n", .boolean(false)),
    ("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
    ("!21\r\nSYNTAX invalid syntax\r\n", .error("SYNTAX invalid syntax")),
    ("=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", text: "Some string")),
    ("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#t\r\n", .map([
        RESPKeyValue(key: .simpleString("first"), value: .integer(1)),
        RESPKeyValue(key: .bulkString(ByteBuffer(string: "second")), value: .boolean(true)),
    ])),
    ("~3\r\n:1\r\n:2\r\n_\r\n", .set([.integer(1), .integer(2), .null])),
    (">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n", .push([.simpleString("invalidate"), .array([.bulkString(ByteBuffer(string: "k"))])])),
    // Attributes are framing only: parsed, then dropped in favour of the value they annotate.
    ("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n", .array([.integer(2)])),
]

/// Parses everything currently in `buffer`.
func parseAll(_ buffer: inout ByteBuffer, parser: RESPParser = RESPParser()) throws -> [RESPValue] {
    var values: [RESPValue] = []
    while let value = try parser.parse(from: &buffer) { values.append(value) }
    return values
}

@Suite struct RESPParserTests {
    @Test(arguments: typedSamples.indices)
    func parsesEachType(index: Int) throws {
        let (wire, expected) = typedSamples[index]
        var buffer = ByteBuffer(string: wire)
        let value = try RESPParser().parse(from: &buffer)
        #expect(value == expected)
        #expect(buffer.readableBytes == 0)
    }

    @Test func nanParses() throws {
        var buffer = ByteBuffer(string: ",nan\r\n")
        guard case .double(let number) = try RESPParser().parse(from: &buffer) else {
            Issue.record("not a double")
            return
        }
        #expect(number.isNaN)
    }

    @Test func byteByByteFeedingYieldsTheSameValues() throws {
        let wire = typedSamples.map(\.0).joined()
        let expected = typedSamples.map(\.1)
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for byte in wire.utf8 {
            let readerIndexBefore = buffer.readerIndex
            buffer.writeInteger(byte)
            let parsed = try parseAll(&buffer)
            if parsed.isEmpty { #expect(buffer.readerIndex == readerIndexBefore) }
            values += parsed
        }
        #expect(values == expected)
        #expect(buffer.readableBytes == 0)
    }

    @Test func everySplitPointOfSeveralReplies() throws {
        let wire = Array(typedSamples.map(\.0).joined().utf8)
        let expected = typedSamples.map(\.1)
        for split in 0...wire.count {
            var buffer = ByteBuffer(bytes: wire[..<split])
            var values = try parseAll(&buffer)
            buffer.writeBytes(wire[split...])
            values += try parseAll(&buffer)
            #expect(values == expected, "split at \(split)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func incompleteInputLeavesTheReaderIndex() throws {
        for wire in ["$5\r\nhel", "*2\r\n:1\r\n", "+OK\r", "%1\r\n+k\r\n", ":12", "$", "|1\r\n+a\r\n+b\r\n"] {
            var buffer = ByteBuffer(string: wire)
            #expect(try RESPParser().parse(from: &buffer) == nil, "\(wire.debugDescription)")
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test(arguments: [
        "$-2\r\n",                    // negative length other than -1
        "*-5\r\n",
        "%-1\r\n",                    // maps have no null form
        "$536870913\r\n",             // one over 512 MB
        "*99999999999\r\n",           // over the aggregate limit
        "$99999999999999999999999\r\n", // overflows Int64
        "?what\r\n",                  // unknown type byte
        "\r\n",
        "$3\r\nabcXY",                // bulk string not followed by CRLF
        "+OK\n",                      // LF without CR
        "+OK\rX",                     // CR without LF
        ":12a\r\n",
        ":\r\n",
        "#x\r\n",
        "_x\r\n",
        ",notanumber\r\n",
        "=3\r\ntxt\r\n",             // verbatim without format
        "$?\r\n",                     // streamed strings are not supported
        "$12345678901234567890123456789", // length header with no CRLF in sight
    ])
    func rejectsMalformedInput(wire: String) {
        var buffer = ByteBuffer(string: wire)
        #expect(throws: RedisError.self) { try RESPParser().parse(from: &buffer) }
    }

    @Test func rejectsNestingDeeperThanTheLimit() throws {
        var buffer = ByteBuffer(string: String(repeating: "*1\r\n", count: 1000) + ":1\r\n")
        let error = #expect(throws: RedisError.self) { try RESPParser().parse(from: &buffer) }
        guard case .protocolViolation(let text) = error?.kind else {
            Issue.record("not a protocol violation")
            return
        }
        #expect(text.contains("nesting"))
        // 64 levels are fine.
        var allowed = ByteBuffer(string: String(repeating: "*1\r\n", count: 64) + ":1\r\n")
        #expect(try RESPParser().parse(from: &allowed) != nil)
    }

    @Test func hugeCountWithoutBytesWaitsWithoutAllocating() throws {
        // Announces 16M elements (at the limit) but carries none: incomplete, not a 16M-element reservation.
        var buffer = ByteBuffer(string: "*16777216\r\n")
        #expect(try RESPParser().parse(from: &buffer) == nil)
        var map = ByteBuffer(string: "%16777216\r\n")
        #expect(try RESPParser().parse(from: &map) == nil)
        var bulk = ByteBuffer(string: "$536870912\r\nabc")
        #expect(try RESPParser().parse(from: &bulk) == nil)
    }

    @Test func limitsAreConfigurable() throws {
        let parser = RESPParser(limits: .init(maxDepth: 2, maxBulkLength: 4, maxAggregateCount: 3, maxLineLength: 5))
        for wire in ["$5\r\nhello\r\n", "*4\r\n", "*1\r\n*1\r\n*1\r\n:1\r\n", "+toolong\r\n", "+toolongwithoutcrlf"] {
            var buffer = ByteBuffer(string: wire)
            #expect(throws: RedisError.self, "\(wire.debugDescription)") { try parser.parse(from: &buffer) }
        }
        var fine = ByteBuffer(string: "*1\r\n*1\r\n$4\r\nabcd\r\n")
        #expect(try parser.parse(from: &fine) != nil)
    }

    @Test func bytesNeededPointsPastAnIncompleteBulk() throws {
        var buffer = ByteBuffer(string: "$10\r\nabc")
        var needed = 0
        #expect(try RESPParser().parse(from: &buffer, bytesNeeded: &needed) == nil)
        #expect(needed == 17)
    }

    @Test func decoderHandlerFramesAnySplit() throws {
        let pairs: [(ByteBuffer, [RESPValue])] = [
            (ByteBuffer(string: typedSamples.map(\.0).joined()), typedSamples.map(\.1)),
            (ByteBuffer(string: "$11\r\nhello world\r\n:7\r\n"), [.bulkString(ByteBuffer(string: "hello world")), .integer(7)]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { RESPReplyDecoder() }
    }

    @Test func accessors() {
        #expect(RESPValue.bulkString(ByteBuffer(string: "42")).int == 42)
        #expect(RESPValue.simpleString("7").int == 7)
        #expect(RESPValue.bulkString(ByteBuffer(string: "4x")).int == nil)
        #expect(RESPValue.integer(3).string == nil)
        #expect(RESPValue.verbatimString(format: "txt", text: "hi").string == "hi")
        #expect(RESPValue.set([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.push([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.array(nil).array == nil)
        #expect(RESPValue.null.isNull && RESPValue.bulkString(nil).isNull && RESPValue.array(nil).isNull)
        #expect(!RESPValue.integer(0).isNull)
        let flat = RESPValue.array([.simpleString("a"), .integer(1), .simpleString("b"), .integer(2)])
        #expect(flat[key: "b"] == .integer(2))
        #expect(RESPValue.map([RESPKeyValue(key: .simpleString("x"), value: .null)])[key: "x"] == .null)
    }
}

@Suite struct RESPEncoderTests {
    @Test func commandRoundTripsAsArrayOfBulkStrings() throws {
        let commands = [
            RedisCommand("SET", "key", "välue with spaces\r\n"),
            RedisCommand("PING"),
            RedisCommand("MSET", Array(repeating: "x", count: 12)),
            RedisCommand(bytes: [Array("GET".utf8), [0, 0xFF, UInt8(ascii: "{"), 13, 10]]),
        ]
        var buffer = ByteBuffer()
        RESPEncoder.write(commands, into: &buffer)
        let decoded = try parseAll(&buffer)
        #expect(decoded.count == commands.count)
        #expect(decoded[0] == .array([.bulkString(ByteBuffer(string: "SET")), .bulkString(ByteBuffer(string: "key")),
                                      .bulkString(ByteBuffer(string: "välue with spaces\r\n"))]))
        #expect(decoded[1] == .array([.bulkString(ByteBuffer(string: "PING"))]))
        #expect(decoded[2].array?.count == 13)
        #expect(decoded[3].array?.last == .bulkString(ByteBuffer(bytes: [0, 0xFF, UInt8(ascii: "{"), 13, 10])))
        #expect(commands[3].name == "GET")
        #expect(buffer.readableBytes == 0)
    }

    @Test func exactBytes() {
        var buffer = ByteBuffer()
        RESPEncoder.write(RedisCommand("GET", "k"), into: &buffer)
        #expect(String(buffer: buffer) == "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
    }

    @Test func valuesRoundTrip() throws {
        var buffer = ByteBuffer()
        for (_, value) in typedSamples { RESPEncoder.write(value, into: &buffer) }
        #expect(try parseAll(&buffer) == typedSamples.map(\.1))
    }
}
