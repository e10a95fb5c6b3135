import Crypto
import Foundation
import RedisCtlCore

/// One Redis ACL user of the deployment: its name and what it may run, in `ACL SETUSER` rule syntax
/// (`~*`, `+@read`, `-flushall`, ...). Passwords are not rules: redisctl makes and keeps them.
public struct ACLUserSpec: Codable, Sendable, Equatable {
    public var name: String
    public var rules: String

    public init(name: String, rules: String) {
        self.name = name
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, rules }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        rules = try c.decode(String.self, forKey: .rules)
    }

    /// The rules as `ACL SETUSER` and a `user` line take them, one argument each.
    public var ruleArguments: [String] { rules.split(whereSeparator: \.isWhitespace).map(String.init) }
}

/// The users every deployment has. `default` stays the admin user (redisctl itself, the probes);
/// the others hold only what their job needs.
public enum ACLUsers {
    /// What applications connect as: every key and data command, nothing that administers the
    /// server or can take it down (CONFIG, FLUSHALL, KEYS, DEBUG, CLIENT KILL, ...).
    public static let application = ACLUserSpec(name: "app", rules: "~* &* +@all -@admin -@dangerous")
    /// redis_exporter's documented rules, with CLIENT narrowed to what it sends (no CLIENT KILL or
    /// PAUSE); `~*` for its key checks; EVAL runs with these same rights.
    public static let exporter = ACLUserSpec(name: "exporter", rules: "~* +client|setname +client|list +client|info +ping +info "
        + "+config|get +cluster|info +slowlog +latency +memory +select +get +scan +xinfo +type +pfcount +strlen +llen +scard "
        + "+zcard +hlen +xlen +eval")
    /// What replicas authenticate to their master as (`masteruser`): the replication handshake only.
    public static let replication = ACLUserSpec(name: "replication", rules: "+psync +replconf +ping")
    /// What `backup` needs: the topology it reads and the full sync it pulls each shard's RDB with;
    /// no key can be read or written.
    public static let backup = ACLUserSpec(name: "backup", rules: "+ping +info +sync +psync +replconf +cluster|nodes +cluster|info "
        + "+cluster|myid +cluster|shards +cluster|slots +dbsize +function|list")

    public static let builtIn = [application, exporter, replication, backup]
    /// The admin: redisctl, the probes, operators.
    public static let admin = ACLUserSpec(name: "default", rules: "~* &* +@all")
    /// Names a spec may not give: the admin user, and `config` (the auth config Secret's suffix).
    public static let reservedNames: Set<String> = ["default", "config"]
}

extension AuthSpec {
    /// The built-in users with the spec's rules where it names them, then the spec's other users.
    public var effectiveUsers: [ACLUserSpec] {
        let given = users ?? []
        var result = ACLUsers.builtIn.map { builtIn in given.first { $0.name == builtIn.name } ?? builtIn }
        result += given.filter { user in !ACLUsers.builtIn.contains { $0.name == user.name } }
        return result
    }
}

/// A user's password, and during `rotate-password` the one it replaces, which works until the
/// rotation ends.
public struct UserPasswords: Sendable, Equatable, Codable {
    public var current: String
    public var previous: String?
    /// When the next `rotate-password` may take `previous` away by itself (`--grace`); nil: only
    /// `--finish` does.
    public var previousUntil: Date?

    public init(current: String, previous: String? = nil, previousUntil: Date? = nil) {
        self.current = current
        self.previous = previous
        self.previousUntil = previous == nil ? nil : previousUntil
    }

    /// How `previousUntil` is kept (RFC 3339, UTC).
    public static func graceEndText(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// `previousUntil` read back from `text` (nil: none kept); anything but a time fails, naming `place`.
    public static func graceEnd(_ text: String?, in place: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = ISO8601DateFormatter().date(from: text) else {
            throw GeneralFailure(.cannotRun, "\(place) holds '\(text.prefix(40))', not a time; fix it or remove it "
                                 + "(then only --finish ends the rotation)")
        }
        return date
    }

    /// Every password that logs in now, the current one first.
    public var accepted: [String] { [current] + (previous.map { [$0] } ?? []) }
}

extension RedisConfigBuilder {
    /// The users as redis.conf lines: the admin (`default`) and every user by each password's
    /// SHA-256 (the file holds no user's password), and the replication user for replicas
    /// (`masteruser`, `masterauth`: the one password a replica must send as it is). Users without
    /// passwords are left out.
    public static func accessControl(_ users: [ACLUserSpec], passwords: [String: UserPasswords],
                                     admin: UserPasswords?) -> [RedisConfigDirective] {
        var directives: [RedisConfigDirective] = []
        if let admin { directives.append(.init(name: "user", arguments: aclArguments(ACLUsers.admin, admin))) }
        if let replication = passwords[ACLUsers.replication.name] {
            directives.append(.init("masteruser", ACLUsers.replication.name))
            directives.append(.init("masterauth", replication.current))
        }
        for user in users {
            guard let password = passwords[user.name] else { continue }
            directives.append(.init(name: "user", arguments: aclArguments(user, password)))
        }
        return directives
    }

    /// `<name> reset on #<hash>... <rules>`: what `ACL SETUSER` and a `user` line take, all at once.
    public static func aclArguments(_ user: ACLUserSpec, _ passwords: UserPasswords) -> [String] {
        [user.name, "reset", "on"] + passwords.accepted.map { "#" + passwordHash($0) } + user.ruleArguments
    }

    /// The SHA-256 of a password in hex, as ACL rules give a password without revealing it.
    public static func passwordHash(_ password: String) -> String {
        lowercaseHex(SHA256.hash(data: Array(password.utf8)))
    }
}
