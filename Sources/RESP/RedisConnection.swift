import NIOCore
import NIOPosix
import RedisCtlCore

/// One connection to one Redis node, with pipelining. Safe to share between tasks: sends are
/// queued in order on the channel and each reply goes to the send that asked for it.
public final class RedisConnection: Sendable {
    /// The node as Redis knows it (a dialer may have reached it through another address).
    public let endpoint: RedisEndpoint
    public let channel: any Channel
    private let handler: NIOLoopBound<RedisCommandHandler>

    private init(endpoint: RedisEndpoint, channel: any Channel, handler: NIOLoopBound<RedisCommandHandler>) {
        self.endpoint = endpoint
        self.channel = channel
        self.handler = handler
    }

    deinit {
        // Backstop for a connection dropped without close().
        channel.close(promise: nil)
    }

    /// Connects, then authenticates (AUTH, or HELLO 3 with AUTH) and sets the client name.
    /// Refused authentication throws `.wrongPass`/`.noAuth`; an unreachable node `.connectFailed`.
    public static func connect(
        to endpoint: RedisEndpoint,
        options: RedisConnectionOptions = .init(),
        dialer: any RedisDialer = TCPDialer(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisConnection {
        guard options.protocolVersion == 2 || options.protocolVersion == 3 else {
            throw RedisError(.connectFailed("protocol version \(options.protocolVersion) is not 2 or 3"), endpoint: endpoint)
        }
        let limits = options.parserLimits
        let commandTimeout = options.commandTimeout
        // The overall deadline, if any, caps the connect and every reply.
        let remaining = options.deadline?.remaining
        if let remaining, remaining <= .zero {
            throw RedisError(.connectFailed("the command's --timeout passed before connecting"), endpoint: endpoint)
        }
        let connectTimeout = remaining.map { min(options.connectTimeout, $0) } ?? options.connectTimeout
        let replyDeadline = remaining.map { NIODeadline.now() + TimeAmount($0) }
        let channel: any Channel
        do {
            channel = try await dialer.dial(endpoint, connectTimeout: connectTimeout, eventLoopGroup: eventLoopGroup) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(RESPReplyDecoder(limits: limits)),
                        RedisCommandHandler(endpoint: endpoint, commandTimeout: commandTimeout, deadline: replyDeadline)
                    )
                }
            }
        } catch let error as RedisError {
            throw error.at(endpoint)
        } catch {
            throw RedisError(.connectFailed(TCPDialer.reason(error)), endpoint: endpoint)
        }
        let handler: NIOLoopBound<RedisCommandHandler>
        do {
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self), eventLoop: channel.eventLoop)
            }.get()
        } catch {
            try? await channel.close()
            throw RedisError(.connectFailed("connection closed during setup"), endpoint: endpoint)
        }
        let connection = RedisConnection(endpoint: endpoint, channel: channel, handler: handler)
        do {
            try await connection.handshake(options)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    private func handshake(_ options: RedisConnectionOptions) async throws {
        var commands: [RedisCommand] = []
        if options.protocolVersion == 3 {
            var arguments = ["3"]
            if let password = options.password { arguments += ["AUTH", options.user ?? "default", password] }
            if let name = options.clientName { arguments += ["SETNAME", name] }
            commands.append(RedisCommand("HELLO", arguments))
        } else {
            if let password = options.password {
                commands.append(options.user.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
            }
            if let name = options.clientName { commands.append(RedisCommand("CLIENT", "SETNAME", name)) }
        }
        guard !commands.isEmpty else { return }
        for result in try await pipeline(commands) {
            if case .failure(let error) = result { throw error }
        }
    }

    public var isActive: Bool { channel.isActive }
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// Sends one command; an error reply throws `RedisError` (typed by its code).
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let handler = self.handler
        if channel.eventLoop.inEventLoop {
            handler.value.enqueue(command, promise: promise)
        } else {
            channel.eventLoop.execute { handler.value.enqueue(command, promise: promise) }
        }
        let reply = try await promise.futureResult.get()
        if case .error(let text) = reply { throw RedisError(serverReply: text, endpoint: endpoint) }
        return reply
    }

    public func send(_ name: String, _ arguments: String...) async throws -> RESPValue {
        try await send(RedisCommand(name, arguments))
    }

    /// Sends all commands with one write and one flush; replies come back in order. Error replies
    /// are `.failure` entries; a broken connection or timeout throws for the whole batch.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [Result<RESPValue, RedisError>] {
        guard !commands.isEmpty else { return [] }
        return try await batch { $0.enqueue(batch: commands, promise: $1) }
    }

    /// Sends `replies` commands already encoded in RESP into `buffer` (by a caller that builds many
    /// commands without a `RedisCommand` each, see `RESPBytes`) with one write and one flush;
    /// replies as for `pipeline`. `commandName` names the command at a reply index in a timeout
    /// error. A `replies` count that does not match the commands in `buffer` breaks the
    /// connection's reply matching.
    public func sendEncoded(_ buffer: ByteBuffer, replies: Int,
                            commandName: @escaping @Sendable (Int) -> String) async throws -> [Result<RESPValue, RedisError>] {
        guard replies > 0 else { return [] }
        return try await batch { $0.enqueue(encoded: buffer, replies: replies, commandName: commandName, promise: $1) }
    }

    /// Hands a batch to the handler on its loop and maps its replies: error replies become `.failure`.
    private func batch(
        _ enqueue: @escaping @Sendable (RedisCommandHandler, EventLoopPromise<[RESPValue]>) -> Void
    ) async throws -> [Result<RESPValue, RedisError>] {
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        let handler = self.handler
        if channel.eventLoop.inEventLoop {
            enqueue(handler.value, promise)
        } else {
            channel.eventLoop.execute { enqueue(handler.value, promise) }
        }
        let replies = try await promise.futureResult.get()
        return replies.map { reply in
            if case .error(let text) = reply { return .failure(RedisError(serverReply: text, endpoint: endpoint)) }
            return .success(reply)
        }
    }

    /// Closes the connection; waiting commands fail with `.connectionClosed`.
    public func close() async {
        try? await channel.close()
    }
}
