import RedisCtlCore

/// How to open and use a connection.
public struct RedisConnectionOptions: Sendable, CustomStringConvertible {
    /// ACL user; nil is the `default` user.
    public var user: String?
    public var password: String?
    public var connectTimeout: Duration
    /// Longest wait for any one reply; when it passes the command fails and the connection closes.
    public var commandTimeout: Duration
    /// The bound of the whole operation this connection serves: connecting and every reply end by
    /// then, whatever `connectTimeout` and `commandTimeout` still allow. Nil: no overall bound.
    public var deadline: Deadline?
    /// 2 (AUTH) or 3 (HELLO 3 [AUTH user password] at connect).
    public var protocolVersion: Int
    /// Sent as CLIENT SETNAME (or HELLO's SETNAME) when set.
    public var clientName: String?
    public var parserLimits: RESPParser.Limits

    public init(
        user: String? = nil,
        password: String? = nil,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(30),
        deadline: Deadline? = nil,
        protocolVersion: Int = 2,
        clientName: String? = nil,
        parserLimits: RESPParser.Limits = .init()
    ) {
        self.user = user
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.deadline = deadline
        self.protocolVersion = protocolVersion
        self.clientName = clientName
        self.parserLimits = parserLimits
    }

    /// Never shows the password.
    public var description: String {
        "user=\(user ?? "default") password=\(password == nil ? "none" : "***") protocol=\(protocolVersion)"
            + " connectTimeout=\(connectTimeout) commandTimeout=\(commandTimeout)"
    }
}
