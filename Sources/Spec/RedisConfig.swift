/// One redis.conf line: a directive name and its arguments.
public struct RedisConfigDirective: Sendable, Equatable, Codable {
    public var name: String
    public var arguments: [String]

    public init(_ name: String, _ arguments: String...) {
        self.name = name
        self.arguments = arguments
    }

    public init(name: String, arguments: [String]) {
        self.name = name
        self.arguments = arguments
    }

    /// The line as redis.conf reads it; arguments with spaces, quotes or control characters are quoted.
    public var line: String {
        ([name] + arguments.map(RedisConfigDirective.quoted)).joined(separator: " ")
    }

    /// Quoted as Redis' config parser (sdssplitargs) reads a double-quoted argument. Control
    /// characters are escaped: a raw newline in a value (a password brought by the user) would end
    /// the line and start another directive.
    static func quoted(_ argument: String) -> String {
        let needsQuotes = argument.isEmpty || argument.unicodeScalars.contains {
            $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\\" || isControl($0)
        }
        guard needsQuotes else { return argument }
        var escaped = ""
        for scalar in argument.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                escaped += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"\(escaped)\""
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7f }
}

/// A redis.conf file as an ordered list of directives.
public struct RedisConfig: Sendable, Equatable {
    public var directives: [RedisConfigDirective]

    public init(_ directives: [RedisConfigDirective] = []) { self.directives = directives }

    public mutating func append(_ directive: RedisConfigDirective) { directives.append(directive) }
    public mutating func append(contentsOf more: [RedisConfigDirective]) { directives.append(contentsOf: more) }

    public func render(header: String? = nil) -> String {
        var lines: [String] = []
        if let header { lines.append(contentsOf: header.split(separator: "\n").map { "# \($0)" }) }
        lines.append(contentsOf: directives.map(\.line))
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The one place redis.conf is built from the spec: the Kubernetes ConfigMap and the local platform
/// both start from `common(for:)` and add only what differs between them (addresses, paths, password).
public enum RedisConfigBuilder {
    /// Directives the platforms set themselves; `extraConfig` may not override them.
    public static let reservedDirectives: Set<String> = [
        "port", "bind", "bind-source-addr", "dir", "dbfilename", "appendfilename", "appenddirname",
        "cluster-enabled", "cluster-config-file", "cluster-announce-ip", "cluster-announce-hostname",
        "cluster-announce-port", "cluster-announce-bus-port", "requirepass", "masterauth", "masteruser",
        "daemonize", "pidfile", "logfile", "include", "tls-port", "tls-cert-file", "tls-key-file",
        "tls-ca-cert-file", "user", "aclfile",
    ]

    /// What every Redis node of the deployment runs with, wherever it runs.
    public static func common(for spec: DeploymentSpec) -> [RedisConfigDirective] {
        let redis = spec.redis
        var directives: [RedisConfigDirective] = [
            .init("protected-mode", "yes"),
            .init("maxmemory", redis.maxmemory),
            .init("maxmemory-policy", redis.maxmemoryPolicy),
            .init("lazyfree-lazy-eviction", "yes"),
            .init("lazyfree-lazy-expire", "yes"),
            .init("appendonly", redis.appendonly ? "yes" : "no"),
            .init("appendfsync", redis.appendfsync),
            .init("aof-use-rdb-preamble", "yes"),
        ]
        if redis.save.isEmpty {
            directives.append(.init("save", ""))
        } else {
            directives.append(.init(name: "save", arguments: [redis.save.joined(separator: " ")]
                .flatMap { $0.split(separator: " ").map(String.init) }))
        }
        directives += [
            .init("io-threads", String(redis.ioThreads)),
            .init("io-threads-do-reads", redis.ioThreads > 1 ? "yes" : "no"),
            .init("slowlog-log-slower-than", String(redis.slowlogLogSlowerThanUs)),
            .init("slowlog-max-len", "128"),
            .init("tcp-keepalive", "60"),
            .init("maxclients", "10000"),
            // A replica starts its full sync as soon as the expected replicas are connected instead of
            // waiting out the diskless-sync delay: new and rejoining replicas catch up seconds sooner.
            .init("repl-diskless-sync", "yes"),
            .init("repl-diskless-sync-max-replicas", String(max(spec.replicasPerMaster, 1))),
        ]
        if spec.topology == .cluster {
            directives += [
                .init("cluster-enabled", "yes"),
                .init("cluster-node-timeout", String(redis.clusterNodeTimeoutMs)),
                .init("cluster-require-full-coverage", "yes"),
                .init("cluster-replica-validity-factor", "10"),
                .init("cluster-migration-barrier", "1"),
                .init("cluster-allow-replica-migration", "yes"),
            ]
        }
        for key in redis.extraConfig.keys.sorted() {
            let value = redis.extraConfig[key] ?? ""
            directives.append(.init(name: key, arguments: value.split(separator: " ").map(String.init)))
        }
        return directives
    }

    /// Where a node's TLS files are, as its redis-server sees them.
    public struct TLSFiles: Sendable, Equatable {
        public var certificate: String
        public var key: String
        public var caCertificates: String

        public init(certificate: String, key: String, caCertificates: String) {
            self.certificate = certificate
            self.key = key
            self.caCertificates = caCertificates
        }
    }

    /// Clients, replication and the cluster bus over TLS on `port`; the plain port closed (`port 0`).
    /// Clients may present a certificate but need not: they authenticate with a password, and the
    /// nodes present theirs to each other.
    public static func tls(_ files: TLSFiles, port: Int, topology: Topology) -> [RedisConfigDirective] {
        var directives: [RedisConfigDirective] = [
            .init("port", "0"),
            .init("tls-port", String(port)),
            .init("tls-cert-file", files.certificate),
            .init("tls-key-file", files.key),
            .init("tls-ca-cert-file", files.caCertificates),
            .init("tls-auth-clients", "optional"),
            .init("tls-replication", "yes"),
        ]
        if topology == .cluster { directives.append(.init("tls-cluster", "yes")) }
        return directives
    }
}
