import NIOCore
import NIOWebSocket

/// Turns a `v4.channel.k8s.io` port-forward WebSocket into a byte stream for the handlers above it.
///
/// Every message starts with a channel byte: 0 carries the port's data, 1 its errors. The server
/// first sends the port number (2 bytes, little-endian) on each channel; those are dropped here.
/// Outbound buffers become binary messages on channel 0. Text on channel 1 becomes a
/// `PortForwardError` naming the pod. When it arrives before anything was written (the
/// usual case: the pod refused the connection), it is held until the first write so the request
/// that write belongs to fails with the server's words rather than a bare "connection closed";
/// the channel must allow remote half-closure for that, so the server's close does not tear the
/// pipeline down first.
final class PortForwardTunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    static let dataChannel: UInt8 = 0
    static let errorChannel: UInt8 = 1
    /// Largest payload per outbound message; big writes are split.
    static let maxOutboundPayload = 32 * 1024

    private let target: String
    /// Port-prefix bytes still to drop on channels 0 and 1.
    private var prefixRemaining: [UInt8: Int] = [0: 2, 1: 2]
    /// The channel of the message a continuation frame belongs to.
    private var currentChannel: UInt8?
    private var errorText = ByteBuffer()
    private var heldError: PortForwardError?
    private var wroteData = false
    private var inputClosed = false
    private var closeSent = false

    /// `target` names the pod and port in error messages, e.g. `pod "ns/redis-0" port 6379`.
    init(target: String) {
        self.target = target
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            var payload = frame.unmaskedData
            guard let channel = payload.readInteger(as: UInt8.self) else { return }
            currentChannel = frame.fin ? nil : channel
            receive(context: context, channel: channel, payload: &payload, messageEnds: frame.fin)
        case .continuation:
            guard let channel = currentChannel else { return }
            if frame.fin { currentChannel = nil }
            var payload = frame.unmaskedData
            receive(context: context, channel: channel, payload: &payload, messageEnds: frame.fin)
        case .ping:
            var pong = frame.unmaskedData
            let data = pong.readSlice(length: pong.readableBytes) ?? ByteBuffer()
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: data)), promise: nil)
        case .connectionClose:
            sendClose(context: context, code: .normalClosure)
            if heldError == nil { context.close(promise: nil) }
        default:
            // Pongs; text frames have no meaning on this subprotocol.
            break
        }
    }

    private func receive(context: ChannelHandlerContext, channel: UInt8, payload: inout ByteBuffer, messageEnds: Bool) {
        if let remaining = prefixRemaining[channel], remaining > 0 {
            let skip = min(remaining, payload.readableBytes)
            payload.moveReaderIndex(forwardBy: skip)
            prefixRemaining[channel] = remaining - skip
        }
        switch channel {
        case Self.dataChannel:
            if payload.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(payload)) }
        case Self.errorChannel:
            errorText.writeBuffer(&payload)
            if messageEnds, errorText.readableBytes > 0 {
                let text = String(decoding: errorText.readableBytesView, as: UTF8.self)
                errorText.clear()
                fail(context: context, PortForwardError("port-forward to \(target) failed: \(text)"))
            }
        default:
            break
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: PortForwardError) {
        guard heldError == nil else { return }
        if wroteData {
            context.fireErrorCaught(error)
            context.close(promise: nil)
        } else {
            heldError = error
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            // Keep a held error's channel open until a write can carry it; otherwise the tunnel is over.
            if heldError == nil { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let heldError {
            promise?.fail(heldError)
            context.fireErrorCaught(heldError)
            context.close(promise: nil)
            return
        }
        wroteData = true
        var buffer = unwrapOutboundIn(data)
        guard buffer.readableBytes > 0 else {
            promise?.succeed(())
            return
        }
        while buffer.readableBytes > 0 {
            let length = min(buffer.readableBytes, Self.maxOutboundPayload)
            guard let chunk = buffer.readSlice(length: length) else { break }
            var message = context.channel.allocator.buffer(capacity: length + 1)
            message.writeInteger(Self.dataChannel)
            message.writeImmutableBuffer(chunk)
            let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: message)
            // The caller's promise completes with the last piece.
            context.write(wrapOutboundOut(frame), promise: buffer.readableBytes == 0 ? promise : nil)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all, context.channel.isActive, !inputClosed {
            sendClose(context: context, code: .normalClosure)
        }
        context.close(mode: mode, promise: promise)
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closeSent else { return }
        closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)), promise: nil)
    }
}
