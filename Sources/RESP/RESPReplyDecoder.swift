import NIOCore

/// Frames the inbound byte stream into replies.
public struct RESPReplyDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    private let parser: RESPParser
    /// Readable bytes needed before a retry can get further; skips re-parsing a large bulk
    /// string on every small read while it arrives.
    private var bytesNeeded = 0

    public init(limits: RESPParser.Limits = .init()) {
        parser = RESPParser(limits: limits)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        guard buffer.readableBytes >= bytesNeeded else { return nil }
        var needed = 0
        guard let value = try parser.parse(from: &buffer, bytesNeeded: &needed) else {
            bytesNeeded = needed
            return nil
        }
        bytesNeeded = 0
        return value
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try decode(buffer: &buffer)
    }
}
