import Foundation
import RESP

/// A redis-server with a TLS port beside its plain one (the fixture's readiness check uses the
/// plain port), certificates from `TestPKI` in a directory of its own. The TLS port is the bus
/// port's number, which the fixture proved free on the server's address.
public struct TLSRedisServer {
    public let server: RedisServerProcess
    public let tlsEndpoint: RedisEndpoint
    /// Holds `ca.crt`, `server.crt`, `server.key`.
    public let certificates: URL

    public static func start(password: String) async throws -> TLSRedisServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, pem) in [("ca.crt", TestPKI.caCertificate), ("other-ca.crt", TestPKI.otherCACertificate),
                            ("server.crt", TestPKI.serverCertificate), ("server.key", TestPKI.serverKey)] {
            try pem.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        do {
            let server = try await RedisServerProcess.start(extraConfig: [
                "tls-port 16379",
                "tls-cert-file \(directory.appendingPathComponent("server.crt").path)",
                "tls-key-file \(directory.appendingPathComponent("server.key").path)",
                "tls-ca-cert-file \(directory.appendingPathComponent("ca.crt").path)",
                "tls-auth-clients no",
            ], password: password)
            return TLSRedisServer(server: server, tlsEndpoint: RedisEndpoint(host: server.endpoint.host, port: 16379),
                                  certificates: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    public func file(_ name: String) -> String { certificates.appendingPathComponent(name).path }

    public func stop() {
        server.stop()
        try? FileManager.default.removeItem(at: certificates)
    }
}
