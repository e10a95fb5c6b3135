import RESP
import RedisCtlCore

/// What a node must present and accept once it loaded its TLS files again.
public struct TLSReloadCheck: Sendable {
    /// The certificate (DER) it must serve; nil: any the trusted CA signed.
    public var served: [UInt8]?
    /// A client TLS context with a certificate the node must accept (signed by the CA it must trust).
    public var proof: RedisTLS?

    public init(served: [UInt8]?, proof: RedisTLS?) {
        self.served = served
        self.proof = proof
    }
}

/// Has nodes read their TLS files again without a restart: `CONFIG SET` of the paths they already
/// use makes redis-server load them anew, for connections made from then on; open ones, replica
/// links and the cluster bus included, stay up. Then it checks what the node serves and accepts,
/// and, where the files reach the node late (a Kubernetes Secret volume is refreshed by the
/// kubelet within about a minute), loads them again until they are there or the deadline passes.
public struct TLSReloader: Sendable {
    /// Authenticated connections, trusting what the nodes must serve.
    public let connector: NodeConnector
    /// The dialer under TLS (TCP or a port-forward tunnel), for the checking handshakes.
    public let transport: any RedisDialer
    public let tls: RedisTLS
    public let progress: any ProgressReporter

    /// The settings that name the files; the client ones only where set (else the node uses its own).
    static let fileSettings = ["tls-cert-file", "tls-key-file", "tls-ca-cert-file", "tls-client-cert-file", "tls-client-key-file"]

    public init(connector: NodeConnector, transport: any RedisDialer, tls: RedisTLS, progress: any ProgressReporter) {
        self.connector = connector
        self.transport = transport
        self.tls = tls
        self.progress = progress
    }

    /// Returns the certificate each node serves (DER) once it passes `check`.
    public func reload(_ node: RedisEndpoint, named name: String, check: TLSReloadCheck, deadline: Deadline) async throws -> [UInt8] {
        var reported = false
        return try await poll("\(name) to load its new TLS files", until: deadline, maxInterval: .seconds(1)) {
            try await load(node, named: name)
            let served = try await TLSDialer(wrapping: transport, tls: tls)
                .servedCertificate(of: node, connectTimeout: connector.options.connectTimeout)
            var missing: String?
            if let expected = check.served, served != expected {
                missing = "\(name) still serves its previous certificate"
            } else if let proof = check.proof, !(await accepts(node, proof)) {
                missing = "\(name) does not trust the new CA yet"
            }
            guard let missing else { return .done(served) }
            if !reported {
                reported = true
                progress.detail("\(missing); waiting for its files to change (a Kubernetes Secret volume is refreshed within about a minute)")
            }
            return .notYet(missing)
        }
    }

    /// CONFIG SET of the node's own TLS file settings, in one command (all or none are taken).
    private func load(_ node: RedisEndpoint, named name: String) async throws {
        try await connector.withConnection(node) { connection in
            var current: [String: String] = [:]
            let reply = try await connection.send(RedisCommand("CONFIG", ["GET"] + Self.fileSettings))
            for pair in reply.map ?? [] {
                if let key = pair.key.string, let value = pair.value.string, !value.isEmpty { current[key] = value }
            }
            let settings = Self.fileSettings.compactMap { key in current[key].map { (key, $0) } }
            guard settings.contains(where: { $0.0 == "tls-cert-file" }) else {
                throw GeneralFailure(.cannotRun, "\(name) has no tls-cert-file set; it does not run TLS")
            }
            do {
                _ = try await connection.send(RedisCommand("CONFIG", ["SET"] + settings.flatMap { [$0.0, $0.1] }))
            } catch let error as RedisError where error.serverMessage != nil {
                throw GeneralFailure(.operationFailed, "\(name) could not load its TLS files (\(error.serverMessage ?? "")); "
                                     + "it still serves the ones it had. Check its files (redis.log names the problem), then run rotate-certs again")
            }
        }
    }

    /// True when the node completes a request over a connection presenting `proof`'s certificate:
    /// refused in the handshake (TLS 1.3 reports that only on the first read) otherwise.
    private func accepts(_ node: RedisEndpoint, _ proof: RedisTLS) async -> Bool {
        let checking = NodeConnector(options: connector.options, dialer: TLSDialer(wrapping: transport, tls: proof))
        do {
            _ = try await checking.withConnection(node, authenticated: false) { try await $0.send("PING") }
            return true
        } catch let error as RedisError where error.kind == .noAuth {
            return true
        } catch {
            return false
        }
    }
}
