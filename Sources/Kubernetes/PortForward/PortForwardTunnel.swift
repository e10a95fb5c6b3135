import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import RedisCtlCore

/// Why a port-forward tunnel could not be opened, or broke: its message names the pod and port.
public struct PortForwardError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Opens byte streams to pod ports through the API server: each `open` is one WebSocket to
/// `/api/v1/namespaces/NS/pods/POD/portforward?ports=PORT` (subprotocol `v4.channel.k8s.io`),
/// handed to the caller's handlers as a channel that carries the port's bytes.
public struct PortForwardTunnel: Sendable {
    public static let subprotocol = "v4.channel.k8s.io"

    public var server: URL
    public var tlsConfiguration: TLSConfiguration?
    /// The name for SNI and certificate checks when it differs from the URL's host.
    public var tlsServerName: String?
    public var namespace: String
    public var authorization: @Sendable () async throws -> String?
    public var userAgent = "redisctl"

    public init(
        server: URL,
        tlsConfiguration: TLSConfiguration? = nil,
        tlsServerName: String? = nil,
        namespace: String,
        authorization: @escaping @Sendable () async throws -> String? = { nil }
    ) {
        self.server = server
        self.tlsConfiguration = tlsConfiguration
        self.tlsServerName = tlsServerName
        self.namespace = namespace
        self.authorization = authorization
    }

    /// Uses a client configuration's server, TLS settings and credentials.
    public init(configuration: KubernetesClientConfiguration, namespace: String) {
        self.init(server: configuration.server, tlsConfiguration: configuration.tlsConfiguration,
                  tlsServerName: configuration.tlsServerName, namespace: namespace,
                  authorization: configuration.authorization)
        userAgent = configuration.userAgent
    }

    /// A channel to `port` of `pod`, with `configure`'s handlers above the tunnel. The upgrade shares
    /// the connect timeout; every failure is a `PortForwardError`.
    public func open(
        pod: String, port: Int,
        connectTimeout: Duration,
        eventLoopGroup: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> any Channel {
        let target = "pod \"\(namespace)/\(pod)\" port \(port)"
        guard let host = server.host, !host.isEmpty else {
            throw PortForwardError("the API server URL \(server) has no host")
        }
        let secure = server.scheme?.lowercased() == "https"
        let apiPort = server.port ?? (secure ? 443 : 80)
        var sslContext: NIOSSLContext?
        if secure {
            do {
                sslContext = try NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration())
            } catch {
                throw PortForwardError("TLS setup for the API server failed: \(error)")
            }
        }
        let serverName = tlsServerName.flatMap { $0.isEmpty ? nil : $0 } ?? host
        // SNI carries names only, never IP literals.
        let sniName = (try? SocketAddress(ipAddress: serverName, port: 0)) == nil ? serverName : nil

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: server.port.map { "\(host):\($0)" } ?? host)
        headers.add(name: "User-Agent", value: userAgent)
        headers.add(name: "Sec-WebSocket-Protocol", value: Self.subprotocol)
        headers.add(name: "Content-Length", value: "0")
        if let authorization = try await authorization() { headers.add(name: "Authorization", value: authorization) }
        let path = Self.portForwardPath(namespace: namespace, pod: pod, port: port, basePath: server.path)
        let requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)

        guard let bootstrap = ClientBootstrap(validatingGroup: eventLoopGroup) else {
            throw PortForwardError("the event loop group cannot make sockets")
        }
        let upgrade: EventLoopFuture<PortForwardUpgradeOutcome>
        let started = ContinuousClock.now
        do {
            upgrade = try await bootstrap
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .connectTimeout(TimeAmount(connectTimeout))
                .connect(host: host, port: apiPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: sniName))
                        }
                        return try Self.configureUpgrade(channel: channel, requestHead: requestHead,
                                                         target: target, configure: configure)
                    }
                }
        } catch let error as PortForwardError {
            throw error
        } catch {
            throw PortForwardError("cannot reach the API server \(host):\(apiPort) for \(target): \(connectFailureReason(error))")
        }
        // The handshake shares the connect timeout.
        let remaining = max(connectTimeout - (ContinuousClock.now - started), .milliseconds(1))
        let loop = upgrade.eventLoop
        let timer = loop.scheduleTask(in: TimeAmount(remaining)) {}
        let outcome: PortForwardUpgradeOutcome
        do {
            outcome = try await withTimeout(upgrade, timer: timer, on: loop)
        } catch let error as PortForwardError {
            throw error
        } catch PortForwardTimeout.expired {
            throw PortForwardError("port-forward to \(target): the API server did not answer the upgrade in time")
        } catch {
            throw PortForwardError("port-forward to \(target) failed during the WebSocket upgrade: \(connectFailureReason(error))")
        }
        switch outcome {
        case .upgraded(let channel):
            return channel
        case .refused(let channel, let response):
            let refusal = try? await response.get()
            try? await channel.close()
            throw PortForwardError("port-forward to \(target) refused by the API server: \(refusal?.summary ?? "no response")")
        }
    }

    static func portForwardPath(namespace: String, pod: String, port: Int, basePath: String) -> String {
        var base = basePath
        while base.hasSuffix("/") { base.removeLast() }
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
        let ns = namespace.addingPercentEncoding(withAllowedCharacters: allowed) ?? namespace
        let name = pod.addingPercentEncoding(withAllowedCharacters: allowed) ?? pod
        return "\(base)/api/v1/namespaces/\(ns)/pods/\(name)/portforward?ports=\(port)"
    }

    private static func configureUpgrade(
        channel: any Channel, requestHead: HTTPRequestHead, target: String,
        configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) throws -> EventLoopFuture<PortForwardUpgradeOutcome> {
        let upgrader = NIOTypedWebSocketClientUpgrader<PortForwardUpgradeOutcome>(maxFrameSize: 1 << 20) { channel, response in
            channel.eventLoop.makeCompletedFuture {
                let accepted = response.headers.first(name: "Sec-WebSocket-Protocol")
                if let accepted, accepted != PortForwardTunnel.subprotocol {
                    throw PortForwardError("port-forward to \(target): the API server chose subprotocol \(accepted), not \(PortForwardTunnel.subprotocol)")
                }
                try channel.pipeline.syncOperations.addHandler(PortForwardTunnelHandler(target: target))
            }
            .flatMap { configure(channel) }
            .map { PortForwardUpgradeOutcome.upgraded(channel) }
        }
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
            upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                upgradeRequestHead: requestHead,
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let promise = channel.eventLoop.makePromise(of: PortForwardRefusal.self)
                        try channel.pipeline.syncOperations.addHandler(PortForwardRefusalCollector(promise: promise))
                        return PortForwardUpgradeOutcome.refused(channel, promise.futureResult)
                    }
                }
            )
        )
        configuration.leftOverBytesStrategy = .forwardBytes
        let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
        // A refusal (401, 403, 404 with a Status body) is read right behind the response decoder, where
        // every part of it passes whatever the upgrade handler does with it.
        let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self)
        let refusal = channel.eventLoop.makePromise(of: PortForwardRefusal.self)
        try channel.pipeline.syncOperations.addHandler(PortForwardResponseSniffer(refusal: refusal), position: .after(decoder))
        let outcome = channel.eventLoop.makePromise(of: PortForwardUpgradeOutcome.self)
        let settled = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
        upgraded.whenComplete { result in
            guard !settled.value else { return }
            settled.value = true
            outcome.completeWith(result)
        }
        refusal.futureResult.whenSuccess { answer in
            guard !settled.value else { return }
            settled.value = true
            outcome.succeed(.refused(channel, channel.eventLoop.makeSucceededFuture(answer)))
        }
        return outcome.futureResult
    }
}

enum PortForwardUpgradeOutcome: Sendable {
    case upgraded(any Channel)
    case refused(any Channel, EventLoopFuture<PortForwardRefusal>)
}

private enum PortForwardTimeout: Error { case expired }

/// Waits for `future`, failing with `.expired` when `timer` fires first (and closing nothing: the
/// caller owns the channel, which the timeout path leaves to the future's failure to clean up).
private func withTimeout(
    _ future: EventLoopFuture<PortForwardUpgradeOutcome>, timer: Scheduled<Void>, on loop: any EventLoop
) async throws -> PortForwardUpgradeOutcome {
    let promise = loop.makePromise(of: PortForwardUpgradeOutcome.self)
    future.cascade(to: promise)
    timer.futureResult.whenSuccess {
        promise.fail(PortForwardTimeout.expired)
        // A late upgrade result is closed rather than leaked.
        future.whenSuccess { outcome in
            switch outcome {
            case .upgraded(let channel), .refused(let channel, _): channel.close(promise: nil)
            }
        }
    }
    defer { timer.cancel() }
    return try await promise.futureResult.get()
}

/// The API server's answer when it declined the upgrade: status and (usually) a Status object.
struct PortForwardRefusal: Sendable {
    var status: HTTPResponseStatus
    var body: String

    /// "403 Forbidden: pods "redis-0" is forbidden: …" — the Status message when there is one.
    var summary: String {
        var message = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if let data = body.data(using: .utf8),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let text = object["message"] as? String, !text.isEmpty {
            message = text
        }
        if message.count > 500 { message = String(message.prefix(500)) + "…" }
        let head = "\(status.code) \(status.reasonPhrase)"
        return message.isEmpty ? head : "\(head): \(message)"
    }
}

/// Passes the upgrade response through and, when it is not `101 Switching Protocols`, collects
/// it for the error message. Leaves the pipeline as soon as the upgrade succeeds.
final class PortForwardResponseSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    private let refusal: EventLoopPromise<PortForwardRefusal>
    private var status: HTTPResponseStatus?
    private var body = ByteBuffer()
    private var done = false

    init(refusal: EventLoopPromise<PortForwardRefusal>) { self.refusal = refusal }

    private var upgraded = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After the 101 the bytes behind it are WebSocket frames: pass them on untouched.
        if upgraded {
            context.fireChannelRead(data)
            return
        }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head) where head.status == .switchingProtocols:
            upgraded = true
            done = true
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        case .head(let head):
            status = head.status
        case .body(var chunk):
            if body.readableBytes < 64 * 1024 { body.writeBuffer(&chunk) }
        case .end:
            finish()
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if status != nil { finish() }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !done { refusal.fail(ChannelError.ioOnClosedChannel) }
    }

    private func finish() {
        guard !done, let status else { return }
        done = true
        refusal.succeed(PortForwardRefusal(status: status, body: String(decoding: body.readableBytesView, as: UTF8.self)))
    }
}

/// Reads the rest of a refused upgrade's HTTP response.
final class PortForwardRefusalCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<PortForwardRefusal>
    private var status: HTTPResponseStatus?
    private var body = ByteBuffer()
    private var done = false

    init(promise: EventLoopPromise<PortForwardRefusal>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var chunk):
            if body.readableBytes < 64 * 1024 { body.writeBuffer(&chunk) }
        case .end:
            finish()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        guard !done else { return }
        done = true
        promise.succeed(PortForwardRefusal(status: status ?? .badGateway, body: String(decoding: body.readableBytesView, as: UTF8.self)))
    }
}
