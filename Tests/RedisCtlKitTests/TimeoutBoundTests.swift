import Foundation
import RESP
import RedisCtlCore
import TestSupport
import Testing
@testable import RedisCtlKit

/// Regression tests: `--timeout` bounds every wait of a command, also against a node or an S3
/// endpoint that accepts connections and never answers (or trickles a byte now and then).
@Suite struct TimeoutBoundTests {
    static let timeout: Duration = .seconds(3)
    /// Generous room for the work after the deadline (evaluation, closing connections).
    static let margin: Duration = .seconds(5)

    /// Makes `server` a one-node cluster that owns every slot.
    static func serveEverySlot(_ server: RedisServerProcess) async throws {
        let admin = try await server.connect()
        // A lone cluster node knows its own address only once announced.
        _ = try await admin.send("CONFIG", "SET", "cluster-announce-ip", server.endpoint.host)
        _ = try await admin.send("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        await admin.close()
    }

    @Test func verifyReportsUnresponsiveNodesWithinTheTimeout() async throws {
        let environment = try LocalTestEnvironment(spec: "masters: 3\nreplicasPerMaster: 0\ndisruption: {minAvailable: 2}")
        let server = try await RedisServerProcess.start(extraConfig: ["cluster-enabled yes"], password: "pw")
        let silent = try await UnresponsiveListener.start()
        let dripping = try await UnresponsiveListener.start(.drip(pattern: Array("+OK\r\n".utf8), interval: .milliseconds(400)))
        defer {
            server.stop()
            try? FileManager.default.removeItem(at: environment.stateDirectory)
        }
        try await Self.serveEverySlot(server)

        let settings = environment.settings(timeout: Self.timeout, nodes: [server.endpoint, silent.endpoint, dripping.endpoint])
        let started = ContinuousClock.now
        let run = await environment.run(settings, extraEnvironment: ["REDISCTL_PASSWORD": "pw"]) {
            try await VerifyCommand().run($0)
        }
        let elapsed = ContinuousClock.now - started
        await silent.stop()
        await dripping.stop()
        #expect(elapsed < Self.timeout + Self.margin, "verify took \(elapsed) with --timeout \(Self.timeout)")
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
        let reachable = try #require(try run.result(VerifyResult.self).report.check(named: "nodes-reachable"))
        let message = reachable.message
        #expect(reachable.status == .fail)
        #expect(message.contains(silent.endpoint.description) && message.contains(dripping.endpoint.description), "\(message)")
        #expect(!message.contains("\(server.endpoint) ("), "the answering node is fine: \(message)")
    }

    @Test func verifyWithNoNodeAnsweringExitsTwoWithinTheTimeout() async throws {
        let environment = try LocalTestEnvironment(spec: "masters: 3")
        let silent = try await UnresponsiveListener.start()
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let started = ContinuousClock.now
        let run = await environment.run(environment.settings(timeout: Self.timeout, nodes: [silent.endpoint]),
                                        extraEnvironment: ["REDISCTL_PASSWORD": "pw"]) {
            try await VerifyCommand().run($0)
        }
        let elapsed = ContinuousClock.now - started
        await silent.stop()
        #expect(elapsed < Self.timeout + Self.margin, "verify took \(elapsed)")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("no node reachable") && run.stderr.contains(silent.endpoint.description), "\(run.stderr)")
        #expect(!run.stderr.contains("\(silent.endpoint): \(silent.endpoint):"), "the node is named twice: \(run.stderr)")
    }

    /// A silent S3 endpoint: the backup gives up at --timeout (exit 2, naming the endpoint) and says
    /// on stderr what it waits for meanwhile.
    @Test func backupToASilentS3EndpointEndsAtTheTimeout() async throws {
        let environment = try LocalTestEnvironment(spec: "masters: 3")
        let server = try await RedisServerProcess.start(extraConfig: ["cluster-enabled yes"], password: "pw")
        let silent = try await UnresponsiveListener.start(port: 9000)
        defer {
            server.stop()
            try? FileManager.default.removeItem(at: environment.stateDirectory)
        }
        try await Self.serveEverySlot(server)

        let s3Environment = [
            "REDISCTL_PASSWORD": "pw", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://\(silent.endpoint)",
        ]
        let started = ContinuousClock.now
        let run = await environment.run(environment.settings(timeout: Self.timeout, nodes: [server.endpoint]),
                                        extraEnvironment: s3Environment) {
            try await BackupCommand(to: "s3://backups/nightly").run($0)
        }
        let elapsed = ContinuousClock.now - started
        await silent.stop()
        #expect(elapsed < Self.timeout + Self.margin, "backup took \(elapsed)")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("no answer from endpoint \(silent.endpoint.host)"), "\(run.stderr)")
        #expect(run.stderr.contains("waiting for S3"), "nothing said what the backup waited for: \(run.stderr)")
    }
}
