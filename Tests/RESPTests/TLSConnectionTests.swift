import Foundation
import NIOSSL
import RESP
import RedisCtlCore
import TestSupport
import Testing

/// RESP over TLS against a real redis-server with `tls-port`, certificates from the test PKI.
@Suite struct TLSConnectionTests {
    static func withTLSServer(_ body: (RedisServerProcess, RedisEndpoint) async throws -> Void) async throws {
        let tls = try await TLSRedisServer.start(password: "tls-secret")
        defer { tls.stop() }
        try await body(tls.server, tls.tlsEndpoint)
    }

    static func tls(trusting ca: String, serverName: String? = "localhost") throws -> TLSDialer {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        return TLSDialer(wrapping: TCPDialer(), tls: try RedisTLS(configuration: configuration, serverName: serverName))
    }

    @Test func commandsGoThroughTLSVerifiedByName() async throws {
        try await Self.withTLSServer { _, endpoint in
            let connection = try await RedisConnection.connect(to: endpoint, options: .init(password: "tls-secret"),
                                                               dialer: try Self.tls(trusting: TestPKI.caCertificate))
            #expect(try await connection.send("SET", "k", "v").string == "OK")
            #expect(try await connection.send("GET", "k").string == "v")
            await connection.close()
        }
    }

    /// Each failure is a connect failure naming the node and what to check, within the connect timeout.
    @Test func failedHandshakesSayWhy() async throws {
        try await Self.withTLSServer { server, endpoint in
            func failure(_ dialer: TLSDialer, at target: RedisEndpoint) async -> String {
                do {
                    let connection = try await RedisConnection.connect(
                        to: target, options: .init(password: "tls-secret", connectTimeout: .seconds(3)), dialer: dialer)
                    await connection.close()
                    return "connected"
                } catch {
                    return "\(error)"
                }
            }
            let started = ContinuousClock.now
            let untrusted = await failure(try Self.tls(trusting: TestPKI.otherCACertificate), at: endpoint)
            #expect(untrusted.contains("\(endpoint)") && untrusted.contains("not signed by the trusted CA"), "\(untrusted)")
            let wrongName = await failure(try Self.tls(trusting: TestPKI.caCertificate, serverName: "elsewhere.example"),
                                          at: endpoint)
            #expect(wrongName.contains("does not carry the name"), "\(wrongName)")
            let plainPort = await failure(try Self.tls(trusting: TestPKI.caCertificate), at: server.endpoint)
            #expect(plainPort.contains("\(server.endpoint)") && plainPort.contains("TLS"), "\(plainPort)")
            #expect(ContinuousClock.now - started < .seconds(9))
        }
    }

    /// Regression test: a refused connect left the handshake's promise unfulfilled (a crash in
    /// debug builds). It is the plain connect failure.
    @Test func aRefusedConnectIsAConnectFailure() async throws {
        let closed = try RedisServerProcess.unusedLoopbackEndpoint()
        do {
            _ = try await RedisConnection.connect(to: closed, options: .init(connectTimeout: .seconds(2)),
                                                  dialer: try Self.tls(trusting: TestPKI.caCertificate))
            Issue.record("connected to a closed port")
        } catch {
            #expect("\(error)".contains("connection refused"), "\(error)")
        }
    }

    /// A listener that never answers the handshake: the connect ends at its timeout, saying so.
    @Test func aSilentHandshakeEndsAtTheConnectTimeout() async throws {
        let silent = try await UnresponsiveListener.start()
        let started = ContinuousClock.now
        do {
            _ = try await RedisConnection.connect(to: silent.endpoint, options: .init(connectTimeout: .milliseconds(500)),
                                                  dialer: try Self.tls(trusting: TestPKI.caCertificate))
            Issue.record("connected to a silent listener")
        } catch {
            #expect("\(error)".contains("TLS handshake did not finish within"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        await silent.stop()
    }
}
