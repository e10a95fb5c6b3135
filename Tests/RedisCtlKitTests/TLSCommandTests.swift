import Bench
import Foundation
import RedisCtlCore
import RESP
import TestSupport
import Testing
@testable import RedisCtlKit

/// `--tls` with `--nodes`: every connection of a command is encrypted, the benchmark's too.
@Suite struct TLSCommandTests {
    static let password = "tls-command-pw"

    @Test func benchmarkOverTLSAndAnUntrustedCertificate() async throws {
        let tls = try await TLSRedisServer.start(password: Self.password)
        defer { tls.stop() }
        let environment = try LocalTestEnvironment(spec: "replicasPerMaster: 1")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        var request = BenchmarkRequest()
        request.clients = 4
        request.requests = 2000
        request.threads = 1
        func run(ca: String) async -> CommandRun {
            var settings = environment.settings(output: .text, timeout: .seconds(20), nodes: [tls.tlsEndpoint])
            settings.tls = TLSSettings(caFile: tls.file(ca), serverName: "localhost")
            return await environment.run(settings, extraEnvironment: ["REDISCTL_PASSWORD": Self.password]) {
                try await BenchmarkCommand(request: request).run($0)
            }
        }
        let trusted = await run(ca: "ca.crt")
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(trusted.stdout.contains("SET") && trusted.stdout.contains("GET"), "\(trusted.stdout)")

        let untrusted = await run(ca: "other-ca.crt")
        #expect(untrusted.status == 2, "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("\(tls.tlsEndpoint)") && untrusted.stderr.contains("not signed by the trusted CA"),
                "\(untrusted.stderr)")
    }

    @Test func unreadableOrMismatchedFilesAreNamed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-tlsfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("client.crt").path
        let key = directory.appendingPathComponent("other.key").path
        try TestPKI.serverCertificate.write(toFile: cert, atomically: true, encoding: .utf8)
        try TestPKI.otherKey.write(toFile: key, atomically: true, encoding: .utf8)
        func message(_ settings: TLSSettings) -> String {
            do {
                _ = try settings.redisTLS()
                return "accepted"
            } catch let failure as GeneralFailure {
                return "\(failure.category.rawValue): \(failure.message)"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(TLSSettings(caFile: directory.appendingPathComponent("missing.crt").path))
                == "2: --cacert \(directory.path)/missing.crt cannot be read")
        #expect(message(TLSSettings(caFile: key)) == "2: --cacert \(key) holds no PEM certificate")
        #expect(message(TLSSettings(certificateFile: cert, keyFile: key))
                == "2: --key \(key) does not match --cert \(cert); give the key of that certificate")
    }
}
