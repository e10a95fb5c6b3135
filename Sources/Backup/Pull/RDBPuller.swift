import Crypto
import Foundation
import NIOCore
import NIOPosix
import RedisCtlCore
import RESP

/// What one pulled RDB turned out to be.
public struct PulledRDB: Sendable, Equatable {
    public var size: Int64
    /// Lowercase hex SHA-256 of the payload as stored.
    public var sha256: String
    /// The snapshot's key count (from its RESIZEDB opcode); nil when the stream did not say.
    public var keyCount: Int64?
    public var form: ReplicationStreamFramer.Form
    public var rdbVersion: Int?
}

/// Pulls a node's RDB through the replication protocol, as a replica's first sync does:
/// `AUTH`, `REPLCONF capa eof`, `REPLCONF rdb-only 1`, `SYNC`. The payload goes to the writer as it
/// arrives (backpressure from the writer slows the socket reads), so memory stays constant.
public struct RDBPuller: Sendable {
    public let options: RedisConnectionOptions
    public let dialer: any RedisDialer
    /// No byte for this long (keepalive newlines count) fails the pull.
    public let idleTimeout: Duration

    public init(options: RedisConnectionOptions, dialer: any RedisDialer = TCPDialer(), idleTimeout: Duration = .seconds(60)) {
        self.options = options
        self.dialer = dialer
        self.idleTimeout = idleTimeout
    }

    /// The handshake, pipelined in one write, and SYNC, sent once the handshake's replies are in.
    func handshake() -> (bytes: ByteBuffer, sync: ByteBuffer, expected: [ReplicationStreamFramer.ExpectedReply]) {
        var commands: [RedisCommand] = []
        var expected: [ReplicationStreamFramer.ExpectedReply] = []
        if let password = options.password {
            commands.append(options.user.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
            expected.append(.init(command: "AUTH"))
        }
        commands.append(RedisCommand("REPLCONF", "capa", "eof"))
        expected.append(.init(command: "REPLCONF capa eof"))
        // Redis 7.0+: no replication stream after the RDB. Older servers refuse it; the pull still works.
        commands.append(RedisCommand("REPLCONF", "rdb-only", "1"))
        expected.append(.init(command: "REPLCONF rdb-only", optional: true))
        var bytes = ByteBuffer()
        RESPEncoder.write(commands, into: &bytes)
        var sync = ByteBuffer()
        RESPEncoder.write(RedisCommand("SYNC"), into: &sync)
        return (bytes, sync, expected)
    }

    /// Pulls the RDB of `endpoint` into `writer` (which the caller finishes or aborts).
    /// `progress` is called with the payload bytes so far, at most a few times per second.
    public func pull(from endpoint: RedisEndpoint, into writer: any BackupObjectWriter, deadline: Deadline,
                     progress: (@Sendable (Int64) -> Void)? = nil) async throws -> PulledRDB {
        let watch = PullWatch()
        let idle = TimeAmount(idleTimeout)
        let channel: any Channel
        do {
            channel = try await dialer.dial(endpoint, connectTimeout: options.connectTimeout,
                                            eventLoopGroup: MultiThreadedEventLoopGroup.singleton) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(IdleCloser(watch: watch))
                    let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 16)))
                    watch.setChannel(wrapped)
                }
            }
        } catch {
            throw GeneralFailure(.cannotRun, "cannot connect to \(endpoint) to pull its RDB: \((error as? RedisError)?.message ?? String(describing: error))")
        }
        guard let asyncChannel = watch.asyncChannel else {
            channel.close(promise: nil)
            throw GeneralFailure(.operationFailed, "connection to \(endpoint) was not set up for the RDB pull")
        }
        return try await withThrowingTaskGroup(of: PulledRDB?.self) { group in
            group.addTask {
                try await self.stream(asyncChannel, endpoint: endpoint, writer: writer, watch: watch, progress: progress)
            }
            group.addTask {
                try? await Task.sleep(until: deadline.instant, clock: .continuous)
                if !Task.isCancelled {
                    watch.timedOut()
                    channel.close(promise: nil)
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw GeneralFailure(.operationFailed, "pulling the RDB of \(endpoint) did not finish before the deadline (raise --timeout)")
        }
    }

    private func stream(_ asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, endpoint: RedisEndpoint,
                        writer: any BackupObjectWriter, watch: PullWatch,
                        progress: (@Sendable (Int64) -> Void)?) async throws -> PulledRDB {
        let (request, sync, expected) = handshake()
        var syncSent = false
        var framer = ReplicationStreamFramer(expectedReplies: expected)
        var scanner = RDBKeyCountScanner()
        var hasher = SHA256()
        var size: Int64 = 0
        var lastReport = ContinuousClock.now
        let idleSeconds = idleTimeout.components.seconds
        do {
            try await asyncChannel.executeThenClose { inbound, outbound in
                try await outbound.write(request)
                for try await chunk in inbound {
                    let payload = try framer.consume(chunk)
                    if !syncSent && !framer.awaitsReplies {
                        syncSent = true
                        try await outbound.write(sync)
                    }
                    if payload.readableBytes > 0 {
                        payload.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                        scanner.feed(payload)
                        size += Int64(payload.readableBytes)
                        try await writer.write(payload)
                        if let progress, ContinuousClock.now - lastReport > .milliseconds(500) {
                            lastReport = .now
                            progress(size)
                        }
                    }
                    if framer.isFinished { break }
                }
            }
        } catch let error as PullProtocolError {
            throw Self.failure(error, endpoint: endpoint)
        } catch let error as GeneralFailure {
            throw error
        } catch {
            if watch.didTimeOut || watch.wasIdle || Task.isCancelled { throw watchFailure(watch, endpoint: endpoint, idleSeconds: idleSeconds, size: size) }
            throw GeneralFailure(.operationFailed, "RDB stream from \(endpoint) broke off after \(size) bytes: \(error); run the backup again")
        }
        guard framer.isFinished else {
            if watch.didTimeOut || watch.wasIdle { throw watchFailure(watch, endpoint: endpoint, idleSeconds: idleSeconds, size: size) }
            throw GeneralFailure(.operationFailed, "\(endpoint) closed the connection after \(size) bytes of its RDB"
                + (framer.announcedLength.map { " of \($0) announced" } ?? "") + "; check its log and run the backup again")
        }
        scanner.finish()
        var keyCount: Int64?
        if case .found(let keys, _) = scanner.outcome { keyCount = keys }
        progress?(size)
        return PulledRDB(size: size, sha256: SigV4Signer.hex(hasher.finalize()), keyCount: keyCount,
                         form: framer.form ?? .length, rdbVersion: scanner.rdbVersion)
    }

    private func watchFailure(_ watch: PullWatch, endpoint: RedisEndpoint, idleSeconds: Int64, size: Int64) -> GeneralFailure {
        if watch.wasIdle {
            return GeneralFailure(.operationFailed, "\(endpoint) sent nothing for \(idleSeconds)s during the RDB pull (after \(size) bytes); check the node and run the backup again")
        }
        return GeneralFailure(.operationFailed, "pulling the RDB of \(endpoint) did not finish before the deadline (\(size) bytes so far); raise --timeout")
    }

    static func failure(_ error: PullProtocolError, endpoint: RedisEndpoint) -> GeneralFailure {
        switch error {
        case .refused(let command, let reply):
            let authentication = RedisError(serverReply: reply, endpoint: endpoint).refusesAuthentication || command == "AUTH"
            let hint = authentication ? "check the password" : "check the node's replication settings and log"
            return GeneralFailure(authentication ? .cannotRun : .operationFailed,
                               "\(endpoint) refused \(command) for the RDB pull: \(reply); \(hint)")
        case .unexpected(let what):
            return GeneralFailure(.operationFailed, "\(endpoint) sent an unexpected \(what) during the RDB pull; is it a Redis node?")
        }
    }
}

/// What happened to a pull's connection that the stream cannot tell: idle or deadline.
final class PullWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var idle = false
    private var deadline = false
    private var channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>?

    var wasIdle: Bool { lock.withLock { idle } }
    var didTimeOut: Bool { lock.withLock { deadline } }
    var asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>? { lock.withLock { channel } }

    func becameIdle() { lock.withLock { idle = true } }
    func timedOut() { lock.withLock { deadline = true } }
    func setChannel(_ value: NIOAsyncChannel<ByteBuffer, ByteBuffer>) { lock.withLock { channel = value } }
}

/// Closes the connection when `IdleStateHandler` reports no reads for the idle timeout.
final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let watch: PullWatch

    init(watch: PullWatch) { self.watch = watch }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .read {
            watch.becameIdle()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
