import NIOCore

/// A command as sent to Redis: a name and its arguments, each sent as a bulk string.
public struct RedisCommand: Sendable {
    enum Parts: Sendable {
        case strings(name: String, arguments: [String])
        case buffers([ByteBuffer])
    }

    let parts: Parts

    public init(_ name: String, _ arguments: [String]) {
        parts = .strings(name: name, arguments: arguments)
    }

    public init(_ name: String, _ arguments: String...) {
        parts = .strings(name: name, arguments: arguments)
    }

    /// A command given as raw parts, the first being the name; for binary keys and values.
    public init(_ parts: [ByteBuffer]) {
        self.parts = .buffers(parts)
    }

    /// A command given as raw byte sequences, the first being the name.
    public init<Bytes: Sequence<UInt8>>(bytes parts: [Bytes]) {
        self.parts = .buffers(parts.map { ByteBuffer(bytes: $0) })
    }

    /// The command's name as given (for messages; arguments are never shown, they may be secrets).
    public var name: String {
        switch parts {
        case .strings(let name, _): return name
        case .buffers(let buffers): return buffers.first.map { String(buffer: $0) } ?? ""
        }
    }

    /// Name plus arguments.
    public var partCount: Int {
        switch parts {
        case .strings(_, let arguments): return arguments.count + 1
        case .buffers(let buffers): return buffers.count
        }
    }
}
