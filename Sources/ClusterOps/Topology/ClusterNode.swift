/// One line of `CLUSTER NODES`: a node as seen by the node that answered.
public struct ClusterNode: Hashable, Sendable {
    public enum Flag: String, Hashable, Sendable, CaseIterable, Comparable {
        case myself, master, replica, possiblyFailed, failed, handshake, noAddress, noFailover, noFlags

        /// The word `CLUSTER NODES` uses; `slave` and `fail?` are Redis's spellings.
        public init?(redisWord: some StringProtocol) {
            switch redisWord {
            case "myself": self = .myself
            case "master": self = .master
            case "slave", "replica": self = .replica
            case "fail?", "pfail": self = .possiblyFailed
            case "fail": self = .failed
            case "handshake": self = .handshake
            case "noaddr": self = .noAddress
            case "nofailover": self = .noFailover
            case "noflags": self = .noFlags
            default: return nil
            }
        }

        public static func < (lhs: Flag, rhs: Flag) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    public enum LinkState: String, Hashable, Sendable {
        case connected, disconnected
    }

    /// A slot being moved: `[slot->-target]` on the source, `[slot-<-source]` on the target.
    public struct SlotMigration: Hashable, Sendable, CustomStringConvertible {
        public let slot: Int
        /// The other end of the move: the target for a migrating slot, the source for an importing one.
        public let peerId: String

        public init(slot: Int, peerId: String) {
            self.slot = slot
            self.peerId = peerId
        }

        public var description: String { "\(slot):\(peerId)" }
    }

    public var id: String
    /// IP the node is reached at; empty for a `noaddr` node.
    public var host: String
    public var port: Int
    public var busPort: Int
    /// Redis 7 `cluster-announce-hostname`, nil when not announced.
    public var hostname: String?
    public var flags: Set<Flag>
    /// Flags this parser does not know, kept so nothing is silently lost.
    public var otherFlags: [String]
    /// The master's id for a replica; nil for `-`.
    public var masterId: String?
    public var pingSent: Int64
    public var pongReceived: Int64
    public var configEpoch: Int64
    public var linkState: LinkState
    public var slots: [SlotRange]
    public var migrating: [SlotMigration]
    public var importing: [SlotMigration]

    public init(
        id: String, host: String, port: Int, busPort: Int? = nil, hostname: String? = nil,
        flags: Set<Flag>, otherFlags: [String] = [], masterId: String? = nil,
        pingSent: Int64 = 0, pongReceived: Int64 = 0, configEpoch: Int64 = 0,
        linkState: LinkState = .connected, slots: [SlotRange] = [],
        migrating: [SlotMigration] = [], importing: [SlotMigration] = []
    ) {
        self.id = id
        self.host = host
        self.port = port
        self.busPort = busPort ?? port + 10000
        self.hostname = hostname
        self.flags = flags
        self.otherFlags = otherFlags
        self.masterId = masterId
        self.pingSent = pingSent
        self.pongReceived = pongReceived
        self.configEpoch = configEpoch
        self.linkState = linkState
        self.slots = slots
        self.migrating = migrating
        self.importing = importing
    }

    public var isMyself: Bool { flags.contains(.myself) }
    public var isMaster: Bool { flags.contains(.master) }
    public var isReplica: Bool { flags.contains(.replica) }
    /// Marked `fail` by a majority of masters: this node is gone as far as the cluster is concerned.
    public var isFailed: Bool { flags.contains(.failed) }
    public var isPossiblyFailed: Bool { flags.contains(.possiblyFailed) }
    public var isHandshake: Bool { flags.contains(.handshake) }
    public var hasAddress: Bool { !flags.contains(.noAddress) && !host.isEmpty }
    public var hasOpenSlots: Bool { !migrating.isEmpty || !importing.isEmpty }
    public var slotCount: Int { SlotRange.count(of: slots) }

    /// `host:port`, with IPv6 hosts in brackets.
    public var address: String { formatAddress(host: host, port: port) }

    /// A name for messages: the announced hostname's first label, else the address, else the id.
    public var displayName: String {
        if let hostname, let label = hostname.split(separator: ".").first { return String(label) }
        return hasAddress ? address : String(id.prefix(12))
    }

    /// Parses one `CLUSTER NODES` line; nil when it is not one.
    public init?(clusterNodesLine line: some StringProtocol) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 8 else { return nil }
        let id = String(fields[0])
        guard Self.isValidId(id) else { return nil }
        guard let address = Self.parseAddress(fields[1]) else { return nil }

        var flags: Set<Flag> = []
        var otherFlags: [String] = []
        for word in fields[2].split(separator: ",") {
            if let flag = Flag(redisWord: word) { flags.insert(flag) } else { otherFlags.append(String(word)) }
        }

        let masterId: String?
        if fields[3] == "-" {
            masterId = nil
        } else if Self.isValidId(fields[3]) {
            masterId = String(fields[3])
        } else {
            return nil
        }

        guard let pingSent = Int64(fields[4]), let pongReceived = Int64(fields[5]),
              let configEpoch = Int64(fields[6]), let linkState = LinkState(rawValue: String(fields[7]))
        else { return nil }

        var slots: [SlotRange] = []
        var migrating: [SlotMigration] = []
        var importing: [SlotMigration] = []
        for entry in fields.dropFirst(8) {
            if entry.hasPrefix("[") {
                guard entry.hasSuffix("]") else { return nil }
                let body = entry.dropFirst().dropLast()
                if let arrow = body.range(of: "->-") {
                    guard let slot = Int(body[..<arrow.lowerBound]), SlotRange.isValidSlot(slot),
                          Self.isValidId(body[arrow.upperBound...]) else { return nil }
                    migrating.append(SlotMigration(slot: slot, peerId: String(body[arrow.upperBound...])))
                } else if let arrow = body.range(of: "-<-") {
                    guard let slot = Int(body[..<arrow.lowerBound]), SlotRange.isValidSlot(slot),
                          Self.isValidId(body[arrow.upperBound...]) else { return nil }
                    importing.append(SlotMigration(slot: slot, peerId: String(body[arrow.upperBound...])))
                } else {
                    return nil
                }
            } else {
                guard let range = SlotRange(parsing: entry) else { return nil }
                slots.append(range)
            }
        }

        self.init(
            id: id, host: address.host, port: address.port, busPort: address.busPort,
            hostname: address.hostname, flags: flags, otherFlags: otherFlags, masterId: masterId,
            pingSent: pingSent, pongReceived: pongReceived, configEpoch: configEpoch,
            linkState: linkState, slots: SlotRange.merge(slots), migrating: migrating, importing: importing
        )
    }

    /// Node ids are 40 lowercase hex characters.
    static func isValidId(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// `ip:port@cport[,hostname[,key=value...]]`; the ip may be empty (noaddr) or IPv6.
    /// Before Redis 4 there was no `@cport`; the bus port is then port + 10000.
    private static func parseAddress(_ field: some StringProtocol) -> (host: String, port: Int, busPort: Int, hostname: String?)? {
        let parts = String(field).split(separator: ",", omittingEmptySubsequences: false)
        guard let endpoint = parts.first else { return nil }
        var hostname: String?
        if parts.count > 1, !parts[1].contains("="), !parts[1].isEmpty {
            hostname = String(parts[1])
        }
        let hostPort: Substring
        var busPort: Int?
        if let at = endpoint.firstIndex(of: "@") {
            hostPort = endpoint[..<at]
            guard let bus = Int(endpoint[endpoint.index(after: at)...]) else { return nil }
            busPort = bus
        } else {
            hostPort = endpoint
        }
        guard let colon = hostPort.lastIndex(of: ":"),
              let port = Int(hostPort[hostPort.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = String(hostPort[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port, busPort ?? port + 10000, hostname)
    }
}

/// `host:port`, bracketing IPv6 hosts so the port stays unambiguous.
func formatAddress(host: String, port: Int) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}
