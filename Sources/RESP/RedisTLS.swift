import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import RedisCtlCore

/// TLS to the nodes: the context (whom to trust, the client certificate) and the name the nodes'
/// certificates are checked against. Pods are dialled by IP and verified by their DNS name.
public struct RedisTLS: Sendable {
    public let context: NIOSSLContext
    /// Checked against the certificate and sent as SNI; nil: the address dialled is checked.
    public var serverName: String?

    /// Fails at once on a configuration the TLS library refuses (a key that is not the certificate's).
    public init(configuration: TLSConfiguration, serverName: String? = nil) throws {
        context = try NIOSSLContext(configuration: configuration)
        self.serverName = serverName
    }

    /// Trusting only the certificates of `caPEM` (a deployment's own CA), checked against
    /// `serverName`. Nil when `caPEM` holds no certificate.
    public init?(trustingPEM caPEM: String, serverName: String?) {
        guard let roots = try? NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)), !roots.isEmpty else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(roots)
        guard let tls = try? RedisTLS(configuration: configuration, serverName: serverName) else { return nil }
        self = tls
    }

    /// As `init(trustingPEM:serverName:)`, presenting a client certificate: a node that completes a
    /// request over it trusts the certificate's CA. Nil when the PEM is not a certificate and its key.
    public init?(trustingPEM caPEM: String, serverName: String?, clientCertificatePEM: String, clientKeyPEM: String) {
        guard let roots = try? NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)), !roots.isEmpty,
              let chain = try? NIOSSLCertificate.fromPEMBytes(Array(clientCertificatePEM.utf8)), !chain.isEmpty,
              let key = try? NIOSSLPrivateKey(bytes: Array(clientKeyPEM.utf8), format: .pem)
        else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(roots)
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key)
        guard let tls = try? RedisTLS(configuration: configuration, serverName: serverName) else { return nil }
        self = tls
    }
}

/// Right above the TLS handler: reports the handshake's end to `connect`, and turns a failed
/// handshake into a connect failure that says why, instead of a bare "connection closed".
final class TLSHandshakeObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let endpoint: RedisEndpoint
    private let done: EventLoopPromise<Void>
    /// After the handshake, errors pass through as they are.
    private var finished = false

    init(endpoint: RedisEndpoint, done: EventLoopPromise<Void>) {
        self.endpoint = endpoint
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, !finished {
            finished = true
            done.succeed(())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !finished else { return context.fireErrorCaught(error) }
        finished = true
        let failure = RedisError(.connectFailed("TLS handshake failed: \(Self.reason(error))"), endpoint: endpoint)
        done.fail(failure)
        context.fireErrorCaught(failure)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            done.fail(RedisError(.connectFailed("the node closed the connection during the TLS handshake"), endpoint: endpoint))
        }
        context.fireChannelInactive()
    }

    /// A channel whose connect failed never becomes active (nor inactive): its handlers are only
    /// removed, and the promise must not outlive them unfulfilled.
    func handlerRemoved(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            done.fail(RedisError(.connectFailed("the connection closed before the TLS handshake"), endpoint: endpoint))
        }
    }

    /// What to check, rather than BoringSSL's error stack.
    static func reason(_ error: any Error) -> String {
        guard let failure = TLSFailure(error) else { return String(describing: error).prefix(300).description }
        switch failure.kind {
        case .untrustedCertificate: return "the node's certificate is not signed by the trusted CA, or is not valid now (check --cacert)"
        case .wrongName: return "the node's certificate does not carry the name it is checked against (check --sni)"
        case .notTLS: return "the node does not speak TLS on this port"
        case .certificateRefused: return "the node refused the client certificate (check --cert and --key)"
        case .other: return failure.reason
        }
    }
}

/// TLS over any other dialer (TCP, or a port-forward tunnel that then carries TLS bytes): every
/// connection of a command, RESP, the benchmark's and the RDB pull's alike, is encrypted the same
/// way. `dial` returns once the handshake is done, within the connect timeout.
public struct TLSDialer: RedisDialer {
    public let inner: any RedisDialer
    public let tls: RedisTLS

    public init(wrapping inner: any RedisDialer, tls: RedisTLS) {
        self.inner = inner
        self.tls = tls
    }

    public func dial(
        _ endpoint: RedisEndpoint,
        connectTimeout: Duration,
        eventLoopGroup: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> any Channel {
        let started = ContinuousClock.now
        // SNI carries names only; an IP literal is checked against the certificate without it.
        let sniName = tls.serverName.flatMap { (try? SocketAddress(ipAddress: $0, port: 0)) == nil ? $0 : nil }
        let context = tls.context
        // TLS goes on once the inner channel carries bytes: a port-forward tunnel refuses writes
        // (the ClientHello) while its WebSocket upgrade is still being set up.
        let channel = try await inner.dial(endpoint, connectTimeout: connectTimeout, eventLoopGroup: eventLoopGroup) { channel in
            channel.eventLoop.makeSucceededVoidFuture()
        }
        let finished: EventLoopFuture<Void>
        do {
            finished = try await channel.eventLoop.flatSubmit {
                let done = channel.eventLoop.makePromise(of: Void.self)
                do {
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOSSLClientHandler(context: context, serverHostname: sniName),
                        TLSHandshakeObserver(endpoint: endpoint, done: done))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return configure(channel).map { done.futureResult }
            }.get()
        } catch {
            try? await channel.close()
            throw (error as? RedisError)?.at(endpoint) ?? RedisError(.connectFailed("TLS setup failed: \(error)"), endpoint: endpoint)
        }
        let remaining = max(connectTimeout - (ContinuousClock.now - started), .milliseconds(1))
        let timedOut = NIOLockedValueBox(false)
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(remaining)) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        do {
            try await finished.get()
            timer.cancel()
            return channel
        } catch {
            timer.cancel()
            try? await channel.close()
            if timedOut.withLockedValue({ $0 }) {
                throw RedisError(.connectFailed("the TLS handshake did not finish within \(formatDuration(connectTimeout))"), endpoint: endpoint)
            }
            throw (error as? RedisError)?.at(endpoint) ?? RedisError(.connectFailed("TLS handshake failed: \(error)"), endpoint: endpoint)
        }
    }
}

extension TLSDialer {
    /// The certificate (DER) the node presents in a new handshake, once it is verified.
    public func servedCertificate(
        of endpoint: RedisEndpoint, connectTimeout: Duration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> [UInt8] {
        let channel = try await dial(endpoint, connectTimeout: connectTimeout, eventLoopGroup: eventLoopGroup) { channel in
            channel.eventLoop.makeSucceededVoidFuture()
        }
        let certificate = try? await channel.nioSSL_peerCertificate().get()
        try? await channel.close()
        guard let der = try? certificate?.toDERBytes() else {
            throw RedisError(.connectFailed("the node presented no certificate"), endpoint: endpoint)
        }
        return der
    }
}
