import Bench
import Certificates
import Foundation
import Platforms
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// `spec.tls` on the kubernetes platform, end to end on the fake API server: deploy makes the TLS
/// Secret and its CA, the pods serve only TLS, and every command reaches them through port-forward
/// tunnels that carry TLS bytes, checking each certificate against the client Service's name.
@Suite(.serialized) struct KubernetesTLSEndToEndTests {
    @Test func deployVerifyAndBenchmarkOverTLSThroughPortForward() async throws {
        try await KubernetesCommandTests.withFakeCluster(
            spec: "tls: {enabled: true}\nredis: {clusterNodeTimeoutMs: 2000}", timeout: .seconds(120), run)
    }

    func run(server: FakeKubernetesAPIServer, kubelet: FakeKubelet, environment: LocalTestEnvironment,
             settings: GlobalSettings) async throws {
        let deploy = await environment.run(settings) { try await DeployCommand().run($0) }
        try #require(deploy.status == 0, "deploy: \(deploy.stdout) \(deploy.stderr)")
        #expect(try deploy.result(DeployResult.self).verify?.healthy == true)
        #expect(server.portForwardCount >= 6)

        let secret = try #require(server.object("secrets", namespace: "redis-system", name: "redis-tls"))
        #expect(secret["type"].string == "kubernetes.io/tls")
        let keys = Set(secret["data"].object?.keys.map { $0 } ?? [])
        #expect(keys == ["ca.crt", "tls.crt", "tls.key"])
        let authority = try #require(server.object("secrets", namespace: "redis-system", name: "redis-tls-ca"))
        #expect(authority["data"]["ca.key"].string != nil)
        let caPEM = try #require(secret["data"]["ca.crt"].string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) })

        // The pods serve TLS only; a client checking the Service name with the Secret's CA gets in.
        let password = try #require(server.object("secrets", namespace: "redis-system", name: "redis-auth")?["data"]["password"]
            .string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) })
        let podIPs = server.objects("pods", namespace: "redis-system").compactMap { $0["status"]["podIP"].string }
        #expect(podIPs.count == 6)
        let tls = try #require(RedisTLS(trustingPEM: caPEM, serverName: "\(environment.name).redis-system.svc"))
        for ip in podIPs {
            let endpoint = RedisEndpoint(host: ip, port: 6379)
            let plain = try? await RedisConnection.connect(
                to: endpoint, options: .init(password: password, connectTimeout: .seconds(2), commandTimeout: .seconds(2)))
            #expect(plain == nil, "\(ip) answered plain RESP")
            if let plain { await plain.close() }
            let encrypted = try await RedisConnection.connect(to: endpoint, options: .init(password: password),
                                                              dialer: TLSDialer(wrapping: TCPDialer(), tls: tls))
            #expect(try await encrypted.send("PING").string == "PONG")
            await encrypted.close()
        }

        // A re-run keeps the Secret (and so the CA clients trust).
        let again = await environment.run(settings) { try await DeployCommand().run($0) }
        #expect(again.status == 0, "re-deploy: \(again.stderr)")
        #expect(try again.result(DeployResult.self).changed == false)
        #expect(server.object("secrets", namespace: "redis-system", name: "redis-tls")?["data"]["ca.crt"].string
                == secret["data"]["ca.crt"].string)

        // The benchmark's connections: TLS inside port-forward tunnels.
        var request = BenchmarkRequest()
        request.clients = 4
        request.requests = 1_000
        request.threads = 1
        request.tests = "set,get"
        let tunnels = server.portForwardCount
        let benchmark = await environment.run(settings) { try await BenchmarkCommand(request: request, output: .json).run($0) }
        #expect(benchmark.status == 0, "benchmark: \(benchmark.stderr)")
        #expect((try benchmark.json()["tests"] as? [[String: Any]])?.count == 2)
        #expect(server.portForwardCount > tunnels)

        let connection = await environment.run(settings) { try await ConnectionCommand().run($0) }
        let result = try connection.result(ConnectionResult.self)
        #expect(result.connectionString.hasPrefix("rediss://"))
        #expect(result.caCertificate == "Secret redis-system/redis-tls key ca.crt")
        #expect(result.environment["REDIS_TLS_SERVER_NAME"] == "\(environment.name).redis-system.svc")

        try await rotateCertificates(server: server, environment: environment, settings: settings, password: password, oldCA: caPEM)
    }

    /// Renewal and a whole CA rotation under a writer that follows the Secret's ca.crt: every node
    /// loads what the kubelet brought into its volume, no process restarts, no replica resyncs.
    func rotateCertificates(server: FakeKubernetesAPIServer, environment: LocalTestEnvironment, settings: GlobalSettings,
                            password: String, oldCA: String) async throws {
        let serverName = "\(environment.name).redis-system.svc"
        let secretValue = { @Sendable (key: String) throws -> String in
            let secret = try #require(server.object("secrets", namespace: "redis-system", name: "redis-tls"))
            return try #require(secret["data"][key].string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) })
        }
        let seeds = server.objects("pods", namespace: "redis-system").compactMap { $0["status"]["podIP"].string }
            .map { RedisEndpoint(host: $0, port: 6379) }
        let following = FollowingTrustDialer(serverName: serverName) { try secretValue("ca.crt") }
        let before = try await LocalTLSClusterTests.processesAndSyncs(seeds, password: password, dialer: following)
        let writers = AcknowledgedWriters(count: 2, seeds: seeds, password: password, dialer: following, prefix: "rotation:")
        try await writers.running {
            for step in [CertificateRotationStep.renew, .newAuthority, .finish] {
                let run = await environment.run(settings) { try await RotateCertsCommand(step: step).run($0) }
                try #require(run.status == 0, "rotate-certs \(step): \(run.stderr)")
                let served = Set(try run.result(RotateCertsResult.self).nodes.map(\.certificate))
                let written = try #require(certificateDER(fromPEM: try secretValue("tls.crt")))
                #expect(served == [certificateFingerprint(written)], "\(step): the nodes serve \(served)")
            }
        }
        #expect(writers.acknowledgedWrites > 100)
        #expect(writers.failures.isEmpty, "\(writers.failures.prefix(3))")
        let reader = ClusterTestClient(seeds: seeds, password: password, dialer: following)
        let lost = try await writers.check(using: reader)
        await reader.close()
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")
        let after = try await LocalTLSClusterTests.processesAndSyncs(seeds, password: password, dialer: following)
        #expect(after == before, "process ids or replica resyncs changed: \(before) -> \(after)")
        let authority = try #require(server.object("secrets", namespace: "redis-system", name: "redis-tls-ca"))
        #expect(Set(authority["data"].object?.keys.map { $0 } ?? []) == ["ca.crt", "ca.key"])
        try await LocalTLSClusterTests.expectRefused(seeds, trusting: oldCA, serverName: serverName, password: password)
        let verify = await environment.run(settings) { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify after the rotation: \(verify.stdout)")

        // Without the CA Secret the TLS Secret is someone else's (cert-manager's): renewed where it
        // was made, and only reloaded here.
        try server.deleteObject("secrets", namespace: "redis-system", name: "redis-tls-ca")
        let tlsSecret = server.object("secrets", namespace: "redis-system", name: "redis-tls")
        let refused = await environment.run(settings) { try await RotateCertsCommand(step: .renew).run($0) }
        #expect(refused.status == 2 && refused.stderr.contains("rotate-certs --reload"), "\(refused.stderr)")
        #expect(server.object("secrets", namespace: "redis-system", name: "redis-tls")?["data"] == tlsSecret?["data"])
        let reload = await environment.run(settings) { try await RotateCertsCommand(step: .reload).run($0) }
        #expect(reload.status == 0, "rotate-certs --reload: \(reload.stderr)")
    }
}
