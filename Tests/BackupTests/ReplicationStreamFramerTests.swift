import Backup
import NIOCore
import Testing

@Suite struct ReplicationStreamFramerTests {
    let expected: [ReplicationStreamFramer.ExpectedReply] = [
        .init(command: "AUTH"), .init(command: "REPLCONF capa eof"), .init(command: "REPLCONF rdb-only", optional: true),
    ]
    let rdb: [UInt8] = Array("REDIS0010".utf8) + (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) } + [0xFF]
    let mark = Array(String(repeating: "0123456789", count: 4).utf8)

    /// Feeds `stream` split at `cut` (and, when `byteByByte`, one byte at a time) and returns the payload.
    func run(_ stream: [UInt8], chunks: [Int]) throws -> ([UInt8], ReplicationStreamFramer) {
        var framer = ReplicationStreamFramer(expectedReplies: expected)
        var payload: [UInt8] = []
        var offset = 0
        for size in chunks + [stream.count] where offset < stream.count {
            let end = min(stream.count, offset + size)
            var output = try framer.consume(ByteBuffer(bytes: stream[offset..<end]))
            payload += output.readBytes(length: output.readableBytes) ?? []
            offset = end
            if framer.isFinished { break }
        }
        return (payload, framer)
    }

    var preamble: [UInt8] { Array("+OK\r\n+OK\r\n+OK\r\n\n\n\n".utf8) }

    @Test func lengthFormAtEverySplit() throws {
        let stream = preamble + Array("$\(rdb.count)\r\n".utf8) + rdb + Array("*1\r\n$4\r\nPING\r\n".utf8)
        for cut in [1, 2, 3, 7, 16, 19, 20, 21, 25, 100, 1000, stream.count] {
            let (payload, framer) = try run(stream, chunks: Array(repeating: cut, count: stream.count / cut + 1))
            #expect(payload == rdb, "split every \(cut) bytes")
            #expect(framer.isFinished && framer.form == .length && framer.announcedLength == Int64(rdb.count))
        }
    }

    @Test func eofFormAtEverySplit() throws {
        let stream = preamble + Array("$EOF:".utf8) + mark + Array("\r\n".utf8) + rdb + mark
        for cut in [1, 2, 5, 39, 40, 41, 64, 999, stream.count] {
            let (payload, framer) = try run(stream, chunks: Array(repeating: cut, count: stream.count / cut + 1))
            #expect(payload == rdb, "split every \(cut) bytes")
            #expect(framer.isFinished && framer.form == .eofMark)
        }
        // A payload shorter than the mark.
        let tiny = preamble + Array("$EOF:".utf8) + mark + Array("\r\n".utf8) + [1, 2, 3] + mark
        #expect(try run(tiny, chunks: [1]).0 == [1, 2, 3])
    }

    @Test func unfinishedStreamsAreNotFinished() throws {
        let stream = preamble + Array("$EOF:".utf8) + mark + Array("\r\n".utf8) + rdb
        let (_, framer) = try run(stream, chunks: [50])
        #expect(!framer.isFinished)
        let truncated = preamble + Array("$\(rdb.count)\r\n".utf8) + rdb.dropLast(10)
        #expect(!(try run(truncated, chunks: [50]).1.isFinished))
    }

    @Test func refusalsAreTyped() throws {
        var framer = ReplicationStreamFramer(expectedReplies: expected)
        #expect(throws: PullProtocolError.refused(command: "AUTH", reply: "WRONGPASS invalid username-password pair")) {
            _ = try framer.consume(ByteBuffer(string: "-WRONGPASS invalid username-password pair\r\n"))
        }
        // An old server refusing rdb-only is only noted.
        var old = ReplicationStreamFramer(expectedReplies: expected)
        _ = try old.consume(ByteBuffer(string: "+OK\r\n+OK\r\n-ERR Unrecognized REPLCONF option: rdb-only\r\n$3\r\nabc"))
        #expect(old.isFinished && old.notes.count == 1)
        var garbage = ReplicationStreamFramer(expectedReplies: [])
        #expect(throws: PullProtocolError.self) { _ = try garbage.consume(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n")) }
        var syncRefused = ReplicationStreamFramer(expectedReplies: [])
        #expect(throws: PullProtocolError.refused(command: "SYNC", reply: "ERR Can't SYNC while not connected with my master")) {
            _ = try syncRefused.consume(ByteBuffer(string: "-ERR Can't SYNC while not connected with my master\r\n"))
        }
    }

    @Test func keyCountScannerReadsResizeDB() {
        // Header, two aux fields (one integer-encoded), SELECTDB 0, RESIZEDB 300 (14-bit length) and 2.
        var bytes = Array("REDIS0010".utf8)
        bytes += [0xFA, 0x09] + Array("redis-ver".utf8) + [0x06] + Array("7.0.15".utf8)
        bytes += [0xFA, 0x0A] + Array("redis-bits".utf8) + [0xC0, 64]
        bytes += [0xFE, 0x00, 0xFB, 0x41, 0x2C, 0x02, 0x00]
        for split in 1..<bytes.count {
            var scanner = RDBKeyCountScanner()
            scanner.feed(ByteBuffer(bytes: bytes[..<split]))
            scanner.feed(ByteBuffer(bytes: bytes[split...]))
            #expect(scanner.outcome == .found(keys: 300, expires: 2), "split at \(split)")
            #expect(scanner.rdbVersion == 10)
        }
        var empty = RDBKeyCountScanner()
        empty.feed(ByteBuffer(bytes: Array("REDIS0010".utf8) + [0xFF] + Array(repeating: 0, count: 8)))
        #expect(empty.outcome == .found(keys: 0, expires: 0))
        var module = RDBKeyCountScanner()
        module.feed(ByteBuffer(bytes: Array("REDIS0010".utf8) + [0xF7, 0x01]))
        #expect(module.outcome == .unknown)
    }
}
