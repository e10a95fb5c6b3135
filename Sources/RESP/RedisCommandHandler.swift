import NIOCore

/// Matches replies to commands in order: one queue of waiting promises per connection.
///
/// Runs entirely on its channel's event loop. Requests come either as outbound writes
/// (`Request`) or, from `RedisConnection`, as direct `enqueue` calls on the loop: those still
/// fail promptly after the channel closed and the handler left the pipeline, where a write would
/// never reach it.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    enum Request {
        case command(RedisCommand, EventLoopPromise<RESPValue>)
        case batch([RedisCommand], EventLoopPromise<[RESPValue]>)
    }

    /// Replies collected for one pipelined batch.
    private final class BatchReplies {
        let expected: Int
        /// Names the command a timeout cut off; given a reply index.
        let commandName: (Int) -> String
        var replies: [RESPValue]
        let promise: EventLoopPromise<[RESPValue]>

        init(expected: Int, commandName: @escaping (Int) -> String, promise: EventLoopPromise<[RESPValue]>) {
            self.expected = expected
            self.commandName = commandName
            self.replies = []
            self.replies.reserveCapacity(expected)
            self.promise = promise
        }
    }

    private enum Waiter {
        case single(EventLoopPromise<RESPValue>, commandName: String)
        case batch(BatchReplies)
    }

    private struct PendingReply {
        let waiter: Waiter
        let deadline: NIODeadline
    }

    private let endpoint: RedisEndpoint
    private let commandTimeout: TimeAmount
    /// The operation's overall bound: no reply is waited for past it.
    private let deadline: NIODeadline?
    private var pending = CircularBuffer<PendingReply>(initialCapacity: 16)
    private var context: ChannelHandlerContext?
    /// Set once the connection is unusable; every later request fails with it.
    private var failure: RedisError?
    private var flushScheduled = false
    private var timeoutTask: Scheduled<Void>?

    init(endpoint: RedisEndpoint, commandTimeout: Duration, deadline: NIODeadline? = nil) {
        self.endpoint = endpoint
        self.commandTimeout = TimeAmount(commandTimeout)
        self.deadline = deadline
    }

    /// When the reply to a command sent now is due: the whole reply, however its bytes trickle in.
    private func replyDeadline(_ context: ChannelHandlerContext) -> NIODeadline {
        let due = context.eventLoop.now + commandTimeout
        guard let deadline else { return due }
        return min(due, deadline)
    }

    // MARK: Requests (called on the event loop)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .command(let command, let replyPromise):
            enqueue(command, promise: replyPromise, writePromise: promise, flush: false)
        case .batch(let commands, let replyPromise):
            enqueue(batch: commands, promise: replyPromise, writePromise: promise, flush: false)
        }
    }

    func enqueue(
        _ command: RedisCommand, promise: EventLoopPromise<RESPValue>,
        writePromise: EventLoopPromise<Void>? = nil, flush: Bool = true
    ) {
        guard let context, failure == nil else {
            let error = failure ?? RedisError(.connectionClosed, endpoint: endpoint)
            promise.fail(error)
            writePromise?.fail(error)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: RESPEncoder.estimatedSize(of: command))
        RESPEncoder.write(command, into: &buffer)
        pending.append(PendingReply(waiter: .single(promise, commandName: command.name), deadline: replyDeadline(context)))
        context.write(wrapOutboundOut(buffer), promise: writePromise)
        if flush { scheduleFlush(context) }
        armTimeout(context)
    }

    func enqueue(
        batch commands: [RedisCommand], promise: EventLoopPromise<[RESPValue]>,
        writePromise: EventLoopPromise<Void>? = nil, flush: Bool = true
    ) {
        var buffer = ByteBuffer()
        if let context, failure == nil, !commands.isEmpty {
            buffer = context.channel.allocator.buffer(capacity: commands.reduce(0) { $0 + RESPEncoder.estimatedSize(of: $1) })
            RESPEncoder.write(commands, into: &buffer)
        }
        enqueue(encoded: buffer, replies: commands.count, commandName: { commands[$0].name }, promise: promise,
                writePromise: writePromise, flush: flush)
    }

    /// Writes `replies` commands already encoded in `buffer` with one write, and collects their
    /// replies as one batch; `commandName` names the command at a reply index (for a timeout).
    func enqueue(
        encoded buffer: ByteBuffer, replies: Int, commandName: @escaping (Int) -> String, promise: EventLoopPromise<[RESPValue]>,
        writePromise: EventLoopPromise<Void>? = nil, flush: Bool = true
    ) {
        guard let context, failure == nil else {
            let error = failure ?? RedisError(.connectionClosed, endpoint: endpoint)
            promise.fail(error)
            writePromise?.fail(error)
            return
        }
        guard replies > 0 else {
            promise.succeed([])
            writePromise?.succeed(())
            return
        }
        let batch = BatchReplies(expected: replies, commandName: commandName, promise: promise)
        pending.append(PendingReply(waiter: .batch(batch), deadline: replyDeadline(context)))
        context.write(wrapOutboundOut(buffer), promise: writePromise)
        if flush { context.flush() }
        armTimeout(context)
    }

    /// Sends made from many tasks in the same loop tick go out with one flush (one syscall).
    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    // MARK: Replies

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        // RESP3 pushes are out-of-band (invalidations, pub/sub), never the reply to a command.
        if case .push = reply { return }
        guard let head = pending.first else {
            failAll(RedisError(.protocolViolation("reply arrived with no command waiting"), endpoint: endpoint))
            context.close(promise: nil)
            return
        }
        switch head.waiter {
        case .single(let promise, _):
            pending.removeFirst()
            promise.succeed(reply)
        case .batch(let batch):
            batch.replies.append(reply)
            if batch.replies.count == batch.expected {
                pending.removeFirst()
                batch.promise.succeed(batch.replies)
            }
        }
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisError(.connectionClosed, endpoint: endpoint))
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError(.connectionClosed, endpoint: endpoint))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Parser errors are protocol violations; socket errors mean the connection is gone.
        let failure = (error as? RedisError)?.at(endpoint) ?? RedisError(.connectionClosed, endpoint: endpoint)
        failAll(failure)
        context.close(promise: nil)
    }

    // MARK: Timeouts

    /// One timer for the oldest waiting reply: replies come in order, so nothing behind it can
    /// be answered first, and one timer per command would cost an allocation per command.
    private func armTimeout(_ context: ChannelHandlerContext) {
        guard timeoutTask == nil, let head = pending.first else { return }
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: head.deadline) {
            self.timeoutFired()
        }
    }

    private func timeoutFired() {
        timeoutTask = nil
        guard let context, let head = pending.first else { return }
        guard head.deadline <= context.eventLoop.now else {
            armTimeout(context)
            return
        }
        let commandName: String
        switch head.waiter {
        case .single(_, let name): commandName = name
        case .batch(let batch): commandName = batch.commandName(batch.replies.count)
        }
        // Later replies would be matched to the wrong commands, so the connection must go.
        failAll(RedisError(.timeout(command: commandName), endpoint: endpoint))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        if failure == nil { failure = RedisError(.connectionClosed, endpoint: endpoint) }
        timeoutTask?.cancel()
        timeoutTask = nil
        var first = true
        while let reply = pending.popFirst() {
            // The first waiter gets the cause; the rest were cut off by it.
            let cause = first ? error : RedisError(.connectionClosed, endpoint: endpoint)
            first = false
            switch reply.waiter {
            case .single(let promise, _): promise.fail(cause)
            case .batch(let batch): batch.promise.fail(cause)
            }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = overflow ? .nanoseconds(.max) : .nanoseconds(nanos &+ attoseconds / 1_000_000_000)
    }
}
