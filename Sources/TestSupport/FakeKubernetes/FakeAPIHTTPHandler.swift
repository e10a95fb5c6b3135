import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 face of the fake API server: gathers each request, hands it to the router, and writes
/// the JSON answer, or keeps the connection open as a chunked JSON-lines watch stream.
final class FakeAPIHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: FakeAPIRouter
    private let bookmarkInterval: Duration
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// The watch this connection is streaming, if any, and its timers.
    private var watchID: UUID?
    private var bookmarkTask: RepeatedTask?
    private var watchTimeout: Scheduled<Void>?

    init(router: FakeAPIRouter, bookmarkInterval: Duration) {
        self.router = router
        self.bookmarkInterval = bookmarkInterval
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            let request = FakeAPIRequest(
                method: head.method.rawValue, uri: head.uri,
                contentType: head.headers.first(name: "Content-Type"),
                authorization: head.headers.first(name: "Authorization"),
                body: Data(body.readableBytesView)
            )
            switch router.route(request) {
            case .json(let status, let json, let headers):
                respond(context: context, head: head, status: status, json: json, extraHeaders: headers)
            case .watch(let watch):
                startWatch(context: context, head: head, watch)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopWatch()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        stopWatch()
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: Int, json: JSONValue, extraHeaders: [(String, String)]) {
        let data = json.encodedData
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(data.count))
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: data)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    /// Streams events as JSON lines. Every line, the backlog included, is queued on the event loop
    /// from inside the store's lock, so lines go out in resourceVersion order.
    private func startWatch(context: ChannelHandlerContext, head: HTTPRequestHead, _ watch: FakeWatchRequest) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        let channel = context.channel
        let loop = context.eventLoop
        let bookmarks = watch.bookmarks
        let send: @Sendable (String, JSONValue) -> Void = { type, object in
            var encoded = (["type": .string(type), "object": object] as JSONValue).encodedData
            encoded.append(UInt8(ascii: "\n"))
            let line = encoded
            loop.execute {
                channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: line))), promise: nil)
            }
        }
        let start = router.store.watch(watch.resource, namespace: watch.namespace, selector: watch.selector, since: watch.since) { event in
            if event.type == "BOOKMARK", !bookmarks { return }
            send(event.type, event.object)
        }
        switch start {
        case .gone(let failure):
            // Like the real server: a 200 stream whose only event is an ERROR carrying the 410 Status.
            send("ERROR", failure.status)
            loop.execute { channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil) }
        case .started(let id):
            watchID = id
            let store = router.store
            if bookmarks {
                let interval = timeAmount(bookmarkInterval)
                bookmarkTask = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in store.bookmark(id) }
            }
            if let timeout = watch.timeout {
                watchTimeout = loop.scheduleTask(in: timeAmount(timeout)) {
                    store.unsubscribe(id)
                    channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
                }
            }
        }
    }

    private func stopWatch() {
        if let watchID { router.store.unsubscribe(watchID) }
        watchID = nil
        bookmarkTask?.cancel()
        bookmarkTask = nil
        watchTimeout?.cancel()
        watchTimeout = nil
    }
}

func timeAmount(_ duration: Duration) -> TimeAmount {
    let (seconds, attoseconds) = duration.components
    return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
}
