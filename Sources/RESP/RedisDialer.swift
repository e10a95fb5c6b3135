import NIOCore
import NIOPosix
import RedisCtlCore

/// Makes the transport under a connection: plain TCP here; TLS or a Kubernetes port-forward
/// tunnel elsewhere. `endpoint` is the address Redis knows the node by (what MOVED names); a
/// dialer may map it to another address (a pod IP to a local tunnel) — the mapping lives here only.
public protocol RedisDialer: Sendable {
    /// Returns an active channel whose pipeline `configure` has set up (it adds the RESP handlers).
    /// Throws on failure; the connection reports non-`RedisError` failures as `.connectFailed`.
    func dial(
        _ endpoint: RedisEndpoint,
        connectTimeout: Duration,
        eventLoopGroup: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> any Channel
}

/// Plain TCP with TCP_NODELAY (commands are small; Nagle would add latency to every reply).
public struct TCPDialer: RedisDialer {
    public init() {}

    public func dial(
        _ endpoint: RedisEndpoint,
        connectTimeout: Duration,
        eventLoopGroup: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> any Channel {
        guard let bootstrap = ClientBootstrap(validatingGroup: eventLoopGroup) else {
            throw RedisError(.connectFailed("the event loop group cannot make sockets"), endpoint: endpoint)
        }
        let configured = bootstrap
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer(configure)
        do {
            // An IP literal connects directly, skipping resolution and happy eyeballs.
            if let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
                return try await configured.connect(to: address).get()
            }
            return try await configured.connect(host: endpoint.host, port: endpoint.port).get()
        } catch let error as RedisError {
            throw error.at(endpoint)
        } catch {
            throw RedisError(.connectFailed(Self.reason(error)), endpoint: endpoint)
        }
    }

    static func reason(_ error: any Error) -> String { connectFailureReason(error) }
}
