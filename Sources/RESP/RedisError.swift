import RedisCtlCore

/// A failure talking to one Redis node: an error reply the server sent, or a client-side failure.
public struct RedisError: RedisCtlFailure, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The slot lives on another node for good; retry there and refresh the slot map.
        case moved(slot: Int, to: RedisEndpoint)
        /// The slot is migrating; retry this one command there, after ASKING.
        case ask(slot: Int, to: RedisEndpoint)
        case clusterDown
        case tryAgain
        case loading
        case noAuth
        case wrongPass
        case busyKey
        /// Any other error reply, with its full text.
        case server(String)
        case connectFailed(String)
        /// No whole reply within the command timeout or by the overall deadline; names the command, never its arguments.
        case timeout(command: String)
        case connectionClosed
        case protocolViolation(String)
    }

    public var kind: Kind
    /// The node this happened on; nil only for errors raised outside a connection (the parser).
    public var endpoint: RedisEndpoint?
    /// The server's reply text, for server-side kinds.
    public var serverMessage: String?

    public init(_ kind: Kind, endpoint: RedisEndpoint? = nil, serverMessage: String? = nil) {
        self.kind = kind
        self.endpoint = endpoint
        self.serverMessage = serverMessage
    }

    /// Classifies an error reply. `endpoint` is the node that sent it; a MOVED/ASK reply with an
    /// empty host (Redis 7 sends `:port` when a node's address is unknown) means that node's host.
    public init(serverReply text: String, endpoint: RedisEndpoint?) {
        self.endpoint = endpoint
        self.serverMessage = text
        let code = text.prefix(while: { $0 != " " })
        switch code {
        case "MOVED", "ASK":
            let words = text.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 3, let slot = Int(words[1]), (0..<KeySlot.count).contains(slot),
               let target = Self.redirectTarget(words[2], sender: endpoint) {
                kind = code == "MOVED" ? .moved(slot: slot, to: target) : .ask(slot: slot, to: target)
            } else {
                kind = .server(text)
            }
        case "CLUSTERDOWN": kind = .clusterDown
        case "TRYAGAIN": kind = .tryAgain
        case "LOADING": kind = .loading
        case "NOAUTH": kind = .noAuth
        case "WRONGPASS": kind = .wrongPass
        case "BUSYKEY": kind = .busyKey
        default: kind = .server(text)
        }
    }

    private static func redirectTarget(_ word: Substring, sender: RedisEndpoint?) -> RedisEndpoint? {
        if word.hasPrefix(":"), let sender, let port = Int(word.dropFirst()), (1...65535).contains(port) {
            return RedisEndpoint(host: sender.host, port: port)
        }
        return RedisEndpoint(parsing: String(word))
    }

    // MARK: Conditions an error reply names in its text
    // Some replies that callers act on share the plain `ERR` code; they are told apart here, once,
    // by the text Redis and Valkey send (cluster.c), so no caller matches reply text itself.

    /// `CLUSTER SETSLOT ... IMPORTING` on the slot's owner: "I'm already the owner of hash slot N".
    public var slotAlreadyOwned: Bool { serverText?.contains("already the owner of hash slot") == true }

    /// `CLUSTER SETSLOT` sent to a replica: "Please use SETSLOT only with masters."
    public var setSlotNeedsMaster: Bool { serverText?.contains("SETSLOT only with masters") == true }

    /// `CLUSTER FORGET` (and others) of an id the node does not know: "Unknown node <id>".
    public var unknownNode: Bool { serverText?.contains("Unknown node") == true }

    /// A `MIGRATE` that could not reach or talk to its target in time (`IOERR error or timeout ...`),
    /// or keys being resharded (TRYAGAIN): worth another attempt.
    public var isTransientMigrationFailure: Bool {
        if kind == .tryAgain { return true }
        guard let text = serverText else { return false }
        return text.hasPrefix("IOERR") || text.contains("timeout")
    }

    /// A key that already exists where it was to be written: BUSYKEY itself, or MIGRATE's report
    /// of its target's refusal ("ERR Target instance replied with error: BUSYKEY ...").
    public var isBusyKey: Bool { kind == .busyKey || serverText?.contains("BUSYKEY") == true }

    /// The node went away mid-conversation or never answered: it died, was stopped, or is cut off.
    public var isConnectionLoss: Bool {
        switch kind {
        case .connectionClosed, .connectFailed, .timeout: true
        default: false
        }
    }

    /// The reply's text, for error replies the server sent (nil for client-side failures).
    private var serverText: String? {
        if case .server(let text) = kind { return text }
        return nil
    }

    /// The node refused the credentials (NOAUTH, WRONGPASS): whatever step met it, the command
    /// cannot run (exit 2), so a caller that wraps this error keeps that category.
    public var refusesAuthentication: Bool { kind == .wrongPass || kind == .noAuth }

    /// This error, said to have happened on `endpoint` (keeps an endpoint already set).
    func at(_ endpoint: RedisEndpoint) -> RedisError {
        var copy = self
        if copy.endpoint == nil { copy.endpoint = endpoint }
        return copy
    }

    public var category: FailureCategory {
        switch kind {
        case .connectFailed, .noAuth, .wrongPass: return .cannotRun
        default: return .operationFailed
        }
    }

    public var message: String {
        let node = endpoint.map { "\($0): " } ?? ""
        let reply = serverMessage.map(Self.oneLine) ?? ""
        let text: String
        switch kind {
        case .moved(let slot, let target):
            text = "slot \(slot) is served by \(target) (MOVED); refresh the slot map"
        case .ask(let slot, let target):
            text = "slot \(slot) is migrating to \(target) (ASK); retry there after ASKING"
        case .clusterDown:
            text = "cluster is down (\(reply)); check that every slot is covered and the nodes agree"
        case .tryAgain:
            text = "keys are being resharded (\(reply)); retry shortly"
        case .loading:
            text = "node is loading its dataset (\(reply)); retry when it finishes"
        case .noAuth:
            text = "authentication required (\(reply)); give the password"
        case .wrongPass:
            text = "authentication refused (\(reply)); check the password"
        case .busyKey:
            text = "target key already exists (\(reply))"
        case .server(let serverText):
            text = "server replied: \(Self.oneLine(serverText))"
        case .connectFailed(let reason):
            text = "cannot connect (\(Self.oneLine(reason))); check that the node runs and is reachable"
        case .timeout(let command):
            text = "no reply to \(command) in time (the command timeout, at most --timeout); the node may be stopped, overloaded or blocked"
        case .connectionClosed:
            text = "connection closed before the reply arrived"
        case .protocolViolation(let detail):
            text = "protocol violation (\(Self.oneLine(detail))); the peer is not speaking RESP correctly"
        }
        return node + text
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
