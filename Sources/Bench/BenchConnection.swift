import NIOCore
import RESP

/// A request on the wire, waiting for its reply (enough to re-encode it for a redirect).
struct PendingRequest {
    enum Kind: UInt8 {
        case request
        /// The ASKING before a redirected request; its +OK is not a measured reply.
        case asking
        /// A setup or refresh command whose reply goes to a promise.
        case control
    }

    var sentAt: UInt64
    var key: UInt64
    var element: UInt64
    var operation: BenchOperation
    var kind: Kind
    var redirects: UInt8
    /// Closed loop: the send time is taken when the batch is written, not when it is encoded.
    var stampOnFlush = false
}

/// One connection of one client to one master. Encodes requests into one outbound buffer per
/// batch, frames replies with `ReplyScanner`, and hands each to its client on the event loop.
final class BenchConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let masterIndex: Int
    let endpoint: RedisEndpoint
    var context: ChannelHandlerContext?
    var client: BenchClient?
    var out = ByteBuffer()
    var pending = CircularBuffer<PendingRequest>(initialCapacity: 64)
    private var cumulation = ByteBuffer()
    private var controlPromises = CircularBuffer<EventLoopPromise<RESPValue>>()
    /// Set while `out` holds requests not yet flushed in this batch.
    var needsFlush = false
    /// Entries appended since the last flush (the newest ones in `pending`).
    private var appendedSinceFlush = 0
    private(set) var isClosed = false

    let eventLoop: any EventLoop

    init(masterIndex: Int, endpoint: RedisEndpoint, eventLoop: any EventLoop) {
        self.masterIndex = masterIndex
        self.endpoint = endpoint
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        out = context.channel.allocator.buffer(capacity: 4096)
        cumulation = context.channel.allocator.buffer(capacity: 0)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Sending

    @inline(__always)
    func enqueue(_ template: RequestTemplate, key: KeyDigits, keyNumber: UInt64, element: UInt64, sentAt: UInt64,
                 redirects: UInt8 = 0, stampOnFlush: Bool = false) {
        template.write(key: key, element: element, into: &out)
        pending.append(PendingRequest(sentAt: sentAt, key: keyNumber, element: element, operation: template.operation,
                                      kind: .request, redirects: redirects, stampOnFlush: stampOnFlush))
        appendedSinceFlush += 1
    }

    func enqueueAsking() {
        out.writeStaticString("*1\r\n$6\r\nASKING\r\n")
        pending.append(PendingRequest(sentAt: 0, key: 0, element: 0, operation: .ping, kind: .asking, redirects: 0))
        appendedSinceFlush += 1
    }

    @inline(__always)
    func flush() {
        needsFlush = false
        if appendedSinceFlush > 0 {
            let now = monotonicNanos()
            var index = pending.index(pending.endIndex, offsetBy: -min(appendedSinceFlush, pending.count))
            while index != pending.endIndex {
                if pending[index].stampOnFlush {
                    pending[index].sentAt = now
                    pending[index].stampOnFlush = false
                }
                index = pending.index(after: index)
            }
            appendedSinceFlush = 0
        }
        guard let context, out.readableBytes > 0 else { return }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        // NIO has written it (or holds its own reference); clearing reuses the storage when it is ours alone.
        out.clear()
    }

    /// Sends a command outside the workload (AUTH, CLUSTER SLOTS); the reply comes back whole.
    func control(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        guard context != nil, !isClosed else {
            return eventLoop.makeFailedFuture(RedisError(.connectionClosed, endpoint: endpoint))
        }
        let promise = eventLoop.makePromise(of: RESPValue.self)
        RESPEncoder.write(command, into: &out)
        pending.append(PendingRequest(sentAt: 0, key: 0, element: 0, operation: .ping, kind: .control, redirects: 0))
        appendedSinceFlush += 1
        controlPromises.append(promise)
        flush()
        return promise.futureResult
    }

    // MARK: Receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = monotonicNanos()
        var buffer = unwrapInboundIn(data)
        if cumulation.readableBytes == 0 {
            process(&buffer, now: now)
            if buffer.readableBytes > 0 && !isClosed { cumulation.writeBuffer(&buffer) }
        } else {
            var work = cumulation
            cumulation = ByteBuffer()
            work.writeBuffer(&buffer)
            process(&work, now: now)
            if work.readableBytes > 0 {
                work.discardReadBytes()
            } else {
                work.clear()
            }
            cumulation = work
        }
    }

    private func process(_ buffer: inout ByteBuffer, now: UInt64) {
        let source = buffer
        do {
            let consumed = try source.withUnsafeReadableBytes { bytes -> Int in
                var position = 0
                while position < bytes.count {
                    let end = try ReplyScanner.end(of: bytes, at: position)
                    if end < 0 { break }
                    try reply(bytes, start: position, end: end, source: source, now: now)
                    position = end
                }
                return position
            }
            buffer.moveReaderIndex(forwardBy: consumed)
        } catch {
            fail(error as? RedisError ?? RedisError(.protocolViolation("\(error)"), endpoint: endpoint))
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
    }

    @inline(__always)
    private func reply(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int, source: ByteBuffer, now: UInt64) throws {
        guard let entry = pending.popFirst() else {
            throw RedisError(.protocolViolation("a reply arrived with no request waiting for it"), endpoint: endpoint)
        }
        switch entry.kind {
        case .request:
            client?.replied(entry, bytes: bytes, start: start, end: end, connection: self, now: now)
        case .asking:
            if bytes[start] == UInt8(ascii: "-") { client?.loop.countError("ASKING refused") }
        case .control:
            let promise = controlPromises.removeFirst()
            var slice = source.getSlice(at: source.readerIndex + start, length: end - start) ?? ByteBuffer()
            do {
                if let value = try RESPParser().parse(from: &slice) {
                    promise.succeed(value)
                } else {
                    promise.fail(RedisError(.protocolViolation("incomplete control reply"), endpoint: endpoint))
                }
            } catch {
                promise.fail(error)
            }
        }
    }

    // MARK: Failure

    func channelInactive(context: ChannelHandlerContext) {
        fail(RedisError(.connectionClosed, endpoint: endpoint))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error as? RedisError ?? RedisError(.server("connection error: \(error)"), endpoint: endpoint))
    }

    /// Ends this connection: every waiting request counts as an error, the client stops.
    func fail(_ error: RedisError) {
        guard !isClosed else { return }
        isClosed = true
        let waiting = pending
        pending.removeAll()
        while let promise = controlPromises.popFirst() { promise.fail(error) }
        client?.connectionFailed(self, error: error, waiting: waiting)
        context?.close(promise: nil)
    }
}

