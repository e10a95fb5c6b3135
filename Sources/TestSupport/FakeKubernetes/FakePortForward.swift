import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Where a port-forward request leads once its checks pass.
struct FakePortForwardTarget: Sendable {
    var namespace: String
    var pod: String
    var podIP: String
    var port: Int
}

extension FakeAPIRouter {
    /// For `/api/v1/namespaces/NS/pods/NAME/portforward`: the pod's address, or the Status the real
    /// server would answer (404 no such pod or no IP yet, 403 by policy, 400 bad port). Nil for other paths.
    func portForwardTarget(_ request: FakeAPIRequest) -> Result<FakePortForwardTarget, FakeAPIFailure>? {
        let segments = request.path.split(separator: "/").map(String.init)
        guard segments.count == 7, segments[0] == "api", segments[1] == "v1", segments[2] == "namespaces",
              segments[4] == "pods", segments[6] == "portforward"
        else { return nil }
        let namespace = segments[3], name = segments[5]
        guard let pods = resourceTypes.first(where: { $0.group.isEmpty && $0.plural == "pods" }) else {
            return .failure(.unknownResource)
        }
        if policy.isForbidden(verb: "create", resourceName: "pods/portforward") {
            return .failure(FakeAPIFailure(
                code: 403, reason: "Forbidden",
                message: "pods \"\(name)\" is forbidden: User \"\(options.userName)\" cannot create resource \"pods/portforward\" "
                    + "in API group \"\" in the namespace \"\(namespace)\"",
                details: ["name": .string(name), "kind": "pods"]
            ))
        }
        guard let pod = store.get(pods, namespace: namespace, name: name) else { return .failure(.notFound(pods, name)) }
        guard let podIP = pod["status"]["podIP"].string, !podIP.isEmpty else {
            return .failure(FakeAPIFailure(code: 404, reason: "NotFound", message: "pod \(name) does not have a host assigned"))
        }
        guard let text = request.query["ports"], let port = Int(text), (1...65535).contains(port) else {
            return .failure(.badRequest("invalid port \"\(request.query["ports"] ?? "")\": ports must be one number in 1-65535"))
        }
        return .success(FakePortForwardTarget(namespace: namespace, pod: name, podIP: podIP, port: port))
    }

    /// A port-forward request that reached plain HTTP handling: it failed a check, or asked for no upgrade.
    func portForwardWithoutUpgrade(_ request: FakeAPIRequest) -> FakeAPIResponse? {
        switch portForwardTarget(request) {
        case nil: return nil
        case .failure(let failure)?: return .failure(failure)
        case .success?: return .failure(.badRequest("Upgrade request required"))
        }
    }
}

enum FakePortForward {
    static let subprotocol = "v4.channel.k8s.io"

    /// Upgrades port-forward requests that pass every check; others stay HTTP and get their Status
    /// from the router (which logs them then).
    static func upgrader(router: FakeAPIRouter) -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(headersIfUpgrading(router: router, head: head))
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let request = FakeAPIRequest(method: head.method.rawValue, uri: head.uri, contentType: nil,
                                                 authorization: head.headers.first(name: "Authorization"), body: Data())
                    guard case .success(let target)? = router.portForwardTarget(request) else {
                        throw FakeAPIFailure.unknownResource
                    }
                    let http = try channel.pipeline.syncOperations.handler(type: FakeAPIHTTPHandler.self)
                    channel.pipeline.syncOperations.removeHandler(http, promise: nil)
                    try channel.pipeline.syncOperations.addHandler(FakePortForwardHandler(target: target))
                }
            }
        )
    }

    /// Whether the request passes every check the real server makes before upgrading.
    static func wouldUpgrade(router: FakeAPIRouter, head: HTTPRequestHead) -> Bool {
        let request = FakeAPIRequest(method: head.method.rawValue, uri: head.uri, contentType: nil,
                                     authorization: head.headers.first(name: "Authorization"), body: Data())
        guard head.method == .GET, !router.policy.hasInjectedFailure, router.policy.isAuthorized(request.authorization),
              case .success? = router.portForwardTarget(request)
        else { return false }
        let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
        return offered.contains(subprotocol)
    }

    private static func headersIfUpgrading(router: FakeAPIRouter, head: HTTPRequestHead) -> HTTPHeaders? {
        guard wouldUpgrade(router: router, head: head) else { return nil }
        let request = FakeAPIRequest(method: head.method.rawValue, uri: head.uri, contentType: nil,
                                     authorization: head.headers.first(name: "Authorization"), body: Data())
        router.policy.record("\(request.method) \(request.path)")
        router.policy.recordTunnel()
        var headers = HTTPHeaders()
        headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol)
        return headers
    }
}

/// The server end of one port-forward WebSocket: sends the port on channels 0 and 1, connects to
/// the pod, then relays channel 0 both ways. A failed connect is reported on channel 1.
final class FakePortForwardHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: every use is on the WebSocket channel's event loop, which the pod connection shares.
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let target: FakePortForwardTarget
    private var pod: (any Channel)?
    private var pending: [ByteBuffer] = []
    private var closed = false

    init(target: FakePortForwardTarget) {
        self.target = target
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let port = UInt16(target.port)
        for channel in [UInt8(0), 1] {
            var prefix = context.channel.allocator.buffer(capacity: 3)
            prefix.writeInteger(channel)
            prefix.writeInteger(port, endianness: .little)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: prefix)), promise: nil)
        }
        context.flush()
        let webSocket = context.channel
        let loop = context.eventLoop
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakePortForwardPodHandler(webSocket: webSocket))
                }
            }
            .connect(host: target.podIP, port: target.port)
            .whenComplete { result in
                loop.assertInEventLoop()
                switch result {
                case .success(let channel):
                    if self.closed {
                        channel.close(promise: nil)
                        return
                    }
                    self.pod = channel
                    for buffer in self.pending { channel.write(buffer, promise: nil) }
                    self.pending.removeAll()
                    channel.flush()
                case .failure(let error):
                    self.failConnect(webSocket: webSocket, error: error)
                }
            }
    }

    private func failConnect(webSocket: any Channel, error: any Error) {
        let text = "error forwarding port \(target.port) to pod \(target.pod), uid : failed to connect to \(target.podIP):\(target.port): \(error)"
        var message = webSocket.allocator.buffer(capacity: text.utf8.count + 1)
        message.writeInteger(UInt8(1))
        message.writeString(text)
        webSocket.write(WebSocketFrame(fin: true, opcode: .binary, data: message), promise: nil)
        closeWebSocket(webSocket)
    }

    private func closeWebSocket(_ webSocket: any Channel) {
        guard !closed else { return }
        closed = true
        var code = webSocket.allocator.buffer(capacity: 2)
        code.write(webSocketErrorCode: .normalClosure)
        webSocket.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)).whenComplete { _ in
            webSocket.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            var payload = frame.unmaskedData
            // Fragmented messages are not sent by clients here; each frame carries its channel byte.
            guard let channel = payload.readInteger(as: UInt8.self), channel == 0, payload.readableBytes > 0 else { return }
            if let pod {
                pod.writeAndFlush(payload, promise: nil)
            } else {
                pending.append(payload)
            }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            pod?.close(promise: nil)
            closeWebSocket(context.channel)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        pod?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pod?.close(promise: nil)
        context.close(promise: nil)
    }

    /// The pod connection closed: end the WebSocket too.
    func podClosed(webSocket: any Channel) {
        closeWebSocket(webSocket)
    }
}

/// The pod side of a tunnel: bytes from the pod go to the WebSocket as channel-0 messages.
final class FakePortForwardPodHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let webSocket: any Channel

    init(webSocket: any Channel) {
        self.webSocket = webSocket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        var message = context.channel.allocator.buffer(capacity: bytes.readableBytes + 1)
        message.writeInteger(UInt8(0))
        message.writeImmutableBuffer(bytes)
        webSocket.write(WebSocketFrame(fin: true, opcode: .binary, data: message), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        webSocket.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let webSocket = self.webSocket
        webSocket.pipeline.handler(type: FakePortForwardHandler.self).whenSuccess { handler in
            handler.podClosed(webSocket: webSocket)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Answers port-forward upgrade requests that will be refused with their Status, the way the real
/// server does. It sits before NIO's upgrade handler, which would otherwise close such a
/// connection without an answer (a WebSocket upgrader cannot decline and fall back to HTTP).
final class FakePortForwardRefusalGate: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: FakeAPIRouter
    private var swallowing = false

    init(router: FakeAPIRouter) { self.router = router }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head) where head.uri.contains("/portforward") && head.headers.contains(name: "Upgrade")
            && !FakePortForward.wouldUpgrade(router: router, head: head):
            swallowing = true
            let request = FakeAPIRequest(method: head.method.rawValue, uri: head.uri, contentType: nil,
                                         authorization: head.headers.first(name: "Authorization"), body: Data())
            guard case .json(let status, let body, let extra) = router.route(request) else { return }
            let data = body.encodedData
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(data.count))
            headers.add(name: "Connection", value: "close")
            for (name, value) in extra { headers.add(name: name, value: value) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version,
                                                                 status: HTTPResponseStatus(statusCode: status),
                                                                 headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: data)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        case .head(let head) where head.uri.contains("/portforward") && head.headers.contains(name: "Upgrade"):
            // This one upgrades: after it the connection carries WebSocket frames, not HTTP parts.
            swallowing = false
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .head:
            swallowing = false
            context.fireChannelRead(data)
        case .body, .end:
            if !swallowing { context.fireChannelRead(data) }
        }
    }
}
