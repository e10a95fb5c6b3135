import NIOCore
import NIOPosix
import RESP

/// A TCP listener that accepts connections and never answers them properly: it stays silent, or
/// drips bytes slowly. It stands in for a stopped Redis node, a hung S3 endpoint or a peer that
/// trickles a reply, so tests can prove every wait is bounded.
public final class UnresponsiveListener: Sendable {
    public enum Behaviour: Sendable {
        /// Reads and discards everything, writes nothing.
        case silent
        /// Writes `pattern` one byte at a time, one byte per `interval`, over and over.
        case drip(pattern: [UInt8], interval: Duration)
    }

    /// Where it listens: a free loopback address on `port`.
    public let endpoint: RedisEndpoint
    private let channel: any Channel

    private init(endpoint: RedisEndpoint, channel: any Channel) {
        self.endpoint = endpoint
        self.channel = channel
    }

    public static func start(_ behaviour: Behaviour = .silent, port: Int = 6379) async throws -> UnresponsiveListener {
        let host = try RedisServerProcess.freeLoopbackHost(ports: [port])
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UnresponsiveHandler(behaviour: behaviour))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return UnresponsiveListener(endpoint: RedisEndpoint(host: host, port: port), channel: channel)
    }

    /// Stops listening; connections already accepted close when their peer closes them.
    public func stop() async {
        try? await channel.close()
    }
}

private final class UnresponsiveHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let behaviour: UnresponsiveListener.Behaviour
    private var next = 0
    private var timer: RepeatedTask?

    init(behaviour: UnresponsiveListener.Behaviour) { self.behaviour = behaviour }

    func channelActive(context: ChannelHandlerContext) {
        if case .drip(let pattern, let interval) = behaviour, !pattern.isEmpty {
            let amount = TimeAmount.nanoseconds(Int64(interval.components.seconds) * 1_000_000_000
                + interval.components.attoseconds / 1_000_000_000)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleRepeatedTask(initialDelay: amount, delay: amount) { _ in
                handler.value.drip(pattern, on: bound.value)
            }
        }
        context.fireChannelActive()
    }

    private func drip(_ pattern: [UInt8], on context: ChannelHandlerContext) {
        var byte = context.channel.allocator.buffer(capacity: 1)
        byte.writeInteger(pattern[next % pattern.count])
        next += 1
        context.writeAndFlush(NIOAny(byte), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
