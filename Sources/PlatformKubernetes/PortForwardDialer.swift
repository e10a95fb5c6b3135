import Kubernetes
import NIOCore
import Platforms
import RESP

/// Reaches Redis pods through the API server: each dial opens one port-forward tunnel and hands
/// the RESP handlers a channel that carries the pod port's bytes.
///
/// Endpoints are the addresses Redis knows nodes by (pod IPs, as MOVED and CLUSTER NODES name
/// them); `podName` maps each to the pod that owns it, so redirects follow through tunnels too.
public struct PortForwardDialer: RedisDialer {
    public var tunnel: PortForwardTunnel
    /// The pod serving an endpoint; asked on every dial, so it may look the pod up afresh.
    public var podName: @Sendable (RedisEndpoint) async throws -> String

    public init(tunnel: PortForwardTunnel, podName: @escaping @Sendable (RedisEndpoint) async throws -> String) {
        self.tunnel = tunnel
        self.podName = podName
    }

    /// Maps endpoints to pods with a fixed table.
    public init(tunnel: PortForwardTunnel, pods: [RedisEndpoint: String]) {
        self.init(tunnel: tunnel) { endpoint in
            guard let pod = pods[endpoint] else {
                throw RedisError(.connectFailed("no pod is known for \(endpoint) to port-forward to"), endpoint: endpoint)
            }
            return pod
        }
    }

    public func dial(
        _ endpoint: RedisEndpoint,
        connectTimeout: Duration,
        eventLoopGroup: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> any Channel {
        let pod = try await podName(endpoint)
        do {
            return try await tunnel.open(pod: pod, port: endpoint.port, connectTimeout: connectTimeout,
                                         eventLoopGroup: eventLoopGroup) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PortForwardErrorTranslator(endpoint: endpoint))
                }.flatMap { configure(channel) }
            }
        } catch let error as PortForwardError {
            throw RedisError(.connectFailed(error.message), endpoint: endpoint)
        }
    }
}

/// Between the tunnel and the RESP handlers: a tunnel that breaks (the pod went away) fails the
/// waiting commands with the tunnel's words, as a connect failure of that node.
private final class PortForwardErrorTranslator: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let endpoint: RedisEndpoint

    init(endpoint: RedisEndpoint) { self.endpoint = endpoint }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tunnel = error as? PortForwardError {
            context.fireErrorCaught(RedisError(.connectFailed(tunnel.message), endpoint: endpoint))
        } else {
            context.fireErrorCaught(error)
        }
    }
}
