import NIOCore
import NIOEmbedded
@testable import RESP
import Testing

/// The pipelining handler on an in-memory channel: ordering, unsolicited replies, closing, timeouts.
@Suite struct RedisCommandHandlerTests {
    let endpoint = RedisEndpoint(host: "127.0.9.9", port: 6379)

    func makeChannel(timeout: Duration = .seconds(30), deadline: NIODeadline? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(RESPReplyDecoder()),
            RedisCommandHandler(endpoint: endpoint, commandTimeout: timeout, deadline: deadline)
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.9.9", port: 6379)).wait()
        return channel
    }

    @Test func repliesGoToCommandsInOrder() async throws {
        let channel = try makeChannel()
        let first = channel.eventLoop.makePromise(of: RESPValue.self)
        let batch = channel.eventLoop.makePromise(of: [RESPValue].self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("GET", "a"), first))
        try channel.writeOutbound(RedisCommandHandler.Request.batch([RedisCommand("INCR", "n"), RedisCommand("INCR", "n")], batch))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.readableBytes == 2 * "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n".utf8.count)
        try channel.writeInbound(ByteBuffer(string: "$1\r\nx\r\n:1\r"))
        #expect(try await first.futureResult.get() == .bulkString(ByteBuffer(string: "x")))
        try channel.writeInbound(ByteBuffer(string: "\n:2\r\n"))
        #expect(try await batch.futureResult.get() == [.integer(1), .integer(2)])
        #expect(try channel.finish().isClean)
    }

    @Test func unsolicitedReplyIsAProtocolViolationThatClosesTheChannel() async throws {
        let channel = try makeChannel()
        let handler = try channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self)
        try channel.writeInbound(ByteBuffer(string: "+surprise\r\n"))
        #expect(!channel.isActive)
        // After close the handler has left the pipeline; direct requests (what RedisConnection
        // uses) still fail at once, both the reply and the write promise.
        let late = channel.eventLoop.makePromise(of: RESPValue.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        handler.enqueue(RedisCommand("PING"), promise: late, writePromise: written)
        await #expect(throws: RedisError.self) { try await written.futureResult.get() }
        let error = await #expect(throws: RedisError.self) { try await late.futureResult.get() }
        #expect(error?.kind == .connectionClosed)
    }

    @Test func malformedReplyFailsWaitersWithProtocolViolation() async throws {
        let channel = try makeChannel()
        let waiting = channel.eventLoop.makePromise(of: RESPValue.self)
        let behind = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("GET", "a"), waiting))
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("GET", "b"), behind))
        // The handler takes the decoder's error: it fails the waiters and closes, nothing left to rethrow.
        try channel.writeInbound(ByteBuffer(string: "$-7\r\n"))
        let error = await #expect(throws: RedisError.self) { try await waiting.futureResult.get() }
        guard case .protocolViolation = error?.kind else {
            Issue.record("not a protocol violation: \(String(describing: error))")
            return
        }
        #expect(error?.endpoint == endpoint)
        let second = await #expect(throws: RedisError.self) { try await behind.futureResult.get() }
        #expect(second?.kind == .connectionClosed)
        #expect(!channel.isActive)
    }

    @Test func closingFailsEveryWaiter() async throws {
        let channel = try makeChannel()
        let single = channel.eventLoop.makePromise(of: RESPValue.self)
        let batch = channel.eventLoop.makePromise(of: [RESPValue].self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("GET", "a"), single))
        try channel.writeOutbound(RedisCommandHandler.Request.batch([RedisCommand("GET", "b"), RedisCommand("GET", "c")], batch))
        try channel.writeInbound(ByteBuffer(string: ":1\r\n:2\r\n"))  // only one of the batch answered
        #expect(try await single.futureResult.get() == .integer(1))
        _ = try? channel.finish()
        let error = await #expect(throws: RedisError.self) { try await batch.futureResult.get() }
        #expect(error?.kind == .connectionClosed)
    }

    @Test func timeoutFailsTheOldestCommandAndCloses() async throws {
        let channel = try makeChannel(timeout: .seconds(1))
        let slow = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("BLPOP", "key", "0"), slow))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        let next = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("GET", "x"), next))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(600))
        let error = await #expect(throws: RedisError.self) { try await slow.futureResult.get() }
        #expect(error?.kind == .timeout(command: "BLPOP"))
        let second = await #expect(throws: RedisError.self) { try await next.futureResult.get() }
        #expect(second?.kind == .connectionClosed)
        #expect(!channel.isActive)
    }

    @Test func timerFollowsTheOldestWaiter() async throws {
        let channel = try makeChannel(timeout: .seconds(1))
        let first = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("GET", "a"), first))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(800))
        let second = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("GET", "b"), second))
        try channel.writeInbound(ByteBuffer(string: "+a\r\n"))
        // First timer fires at 1s, finds the second command not yet due, and re-arms for it.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "+b\r\n"))
        #expect(try await first.futureResult.get() == .simpleString("a"))
        #expect(try await second.futureResult.get() == .simpleString("b"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil)
        #expect(try channel.finish().isClean)
    }

    /// Regression test: a peer that trickles a reply byte by byte does not keep the command alive;
    /// the timeout bounds the whole reply.
    @Test func aTricklingReplyDoesNotExtendTheTimeout() async throws {
        let channel = try makeChannel(timeout: .seconds(1))
        let waiting = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("INFO"), waiting))
        for byte in "$100\r\nabcdefgh".utf8 {
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
            if !channel.isActive { break }
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        let error = await #expect(throws: RedisError.self) { try await waiting.futureResult.get() }
        #expect(error?.kind == .timeout(command: "INFO"))
        #expect(!channel.isActive)
    }

    /// The operation's deadline cuts a reply off before the command timeout would.
    @Test func overallDeadlineCapsTheCommandTimeout() async throws {
        let channel = try makeChannel(timeout: .seconds(30), deadline: .uptimeNanoseconds(0) + .milliseconds(500))
        let waiting = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisCommandHandler.Request.command(RedisCommand("AUTH", "pw"), waiting))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        let error = await #expect(throws: RedisError.self) { try await waiting.futureResult.get() }
        #expect(error?.kind == .timeout(command: "AUTH"))
        #expect(!channel.isActive)
    }
}
