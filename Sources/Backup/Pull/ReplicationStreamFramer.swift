import NIOCore

/// The bytes a master sends after our replication handshake, as a pure state machine: the replies
/// to the handshake commands, keepalive newlines, then the RDB in one of two forms:
/// `$<length>\r\n<bytes>` (disk-based sync) or `$EOF:<40-byte mark>\r\n<bytes><mark>` (diskless).
/// `consume` returns the payload bytes found in each chunk; `isFinished` turns true at the payload's end.
public struct ReplicationStreamFramer: Sendable {
    public enum Form: String, Sendable, Codable {
        case length
        case eofMark = "eof-mark"
    }

    /// What one handshake command may answer.
    public struct ExpectedReply: Sendable {
        public var command: String
        /// A refusal is only noted (an older server that lacks the option), not fatal.
        public var optional: Bool

        public init(command: String, optional: Bool = false) {
            self.command = command
            self.optional = optional
        }
    }

    enum State: Sendable {
        case replies(remaining: Int)
        case header
        case length(remaining: Int64)
        case eofMark(mark: [UInt8])
        case finished
    }

    private var state: State
    private let expected: [ExpectedReply]
    private var line: [UInt8] = []
    /// The diskless form's tail that may still be (part of) the end mark.
    private var held = ByteBuffer()
    public private(set) var form: Form?
    /// Announced payload length (length form only).
    public private(set) var announcedLength: Int64?
    /// Refusals of optional commands, for a warning.
    public private(set) var notes: [String] = []
    public static let markLength = 40
    /// A reply line longer than this is not Redis talking.
    static let maximumLineLength = 4096

    public init(expectedReplies: [ExpectedReply]) {
        expected = expectedReplies
        state = expectedReplies.isEmpty ? .header : .replies(remaining: expectedReplies.count)
    }

    public var isFinished: Bool { if case .finished = state { true } else { false } }

    /// Still reading the handshake's replies. Redis refuses SYNC while replies to earlier commands
    /// are unsent ("pending output"), so SYNC goes out only once this turns false.
    public var awaitsReplies: Bool { if case .replies = state { true } else { false } }

    /// Feeds one chunk; returns the payload bytes in it (possibly empty).
    public mutating func consume(_ chunk: ByteBuffer) throws -> ByteBuffer {
        var input = chunk
        var payload = ByteBuffer()
        while input.readableBytes > 0 {
            switch state {
            case .replies(let remaining):
                guard let text = try readLine(&input) else { continue }
                let reply = expected[expected.count - remaining]
                if text.hasPrefix("-") {
                    if reply.optional {
                        notes.append("\(reply.command): \(text.dropFirst())")
                    } else {
                        throw PullProtocolError.refused(command: reply.command, reply: String(text.dropFirst()))
                    }
                } else if !text.hasPrefix("+") {
                    throw PullProtocolError.unexpected("answer to \(reply.command): \(text.prefix(80))")
                }
                state = remaining > 1 ? .replies(remaining: remaining - 1) : .header
            case .header:
                guard let text = try readLine(&input) else { continue }
                if text.hasPrefix("-") { throw PullProtocolError.refused(command: "SYNC", reply: String(text.dropFirst())) }
                // PSYNC's answer before the payload; SYNC has none, but accept it.
                if text.hasPrefix("+") { continue }
                guard text.hasPrefix("$") else { throw PullProtocolError.unexpected("payload header: \(text.prefix(80))") }
                let body = text.dropFirst()
                if body.hasPrefix("EOF:") {
                    let mark = Array(body.dropFirst(4).utf8)
                    guard mark.count == Self.markLength else {
                        throw PullProtocolError.unexpected("end mark of \(mark.count) bytes, expected \(Self.markLength)")
                    }
                    form = .eofMark
                    state = .eofMark(mark: mark)
                } else {
                    guard let length = Int64(body), length >= 0 else {
                        throw PullProtocolError.unexpected("payload length '\(body.prefix(40))'")
                    }
                    form = .length
                    announcedLength = length
                    state = length == 0 ? .finished : .length(remaining: length)
                }
            case .length(let remaining):
                let take = Int(min(Int64(input.readableBytes), remaining))
                if var slice = input.readSlice(length: take) { payload.writeBuffer(&slice) }
                state = remaining - Int64(take) == 0 ? .finished : .length(remaining: remaining - Int64(take))
            case .eofMark(let mark):
                // Everything but the last 40 bytes seen so far is payload; the stream ends when those
                // 40 bytes are the mark (the server sends nothing after it for an rdb-only replica).
                held.writeBuffer(&input)
                if held.readableBytes >= Self.markLength,
                   held.getBytes(at: held.writerIndex - Self.markLength, length: Self.markLength) == mark {
                    if var slice = held.readSlice(length: held.readableBytes - Self.markLength) { payload.writeBuffer(&slice) }
                    held.clear()
                    state = .finished
                } else if held.readableBytes > Self.markLength {
                    if var slice = held.readSlice(length: held.readableBytes - Self.markLength) { payload.writeBuffer(&slice) }
                    held.discardReadBytes()
                }
            case .finished:
                // Anything after the payload (a replication stream) is not ours to keep.
                input.moveReaderIndex(to: input.writerIndex)
            }
        }
        return payload
    }

    /// One `\r\n`-terminated line, or nil when the chunk ended first. Bare `\n` between replies are
    /// the master's keepalives and are skipped.
    private mutating func readLine(_ input: inout ByteBuffer) throws -> String? {
        while let byte = input.readInteger(as: UInt8.self) {
            if byte == UInt8(ascii: "\n") {
                if line.isEmpty { continue }
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                line.removeAll(keepingCapacity: true)
                return text
            }
            line.append(byte)
            if line.count > Self.maximumLineLength {
                throw PullProtocolError.unexpected("a reply line longer than \(Self.maximumLineLength) bytes")
            }
        }
        return nil
    }
}

/// Why a replication stream could not be read, before the node is named.
public enum PullProtocolError: Error, Sendable, Equatable {
    case refused(command: String, reply: String)
    case unexpected(String)
}
