import Foundation
import Platforms
import Testing
import TestSupport
@testable import RedisCtlKit

/// Commands on the kubernetes platform against the fake API server: kubeconfig, errors and exit codes.
@Suite struct KubernetesCommandTests {
    /// A kubeconfig naming `server` with a bearer token, in the environment's state directory.
    static func kubeconfig(_ environment: LocalTestEnvironment, server: String, token: String = "t0ken",
                           certificateAuthority: String? = nil) throws -> String {
        let path = environment.stateDirectory.appendingPathComponent("kubeconfig").path
        let authority = certificateAuthority.map { ", certificate-authority-data: \(Data($0.utf8).base64EncodedString())" } ?? ""
        try """
        apiVersion: v1
        kind: Config
        clusters: [{name: fake, cluster: {server: "\(server)"\(authority)}}]
        users: [{name: me, user: {token: \(token)}}]
        contexts: [{name: fake, context: {cluster: fake, user: me}}]
        current-context: fake
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A fake API server with a kubelet that runs every pod as a real redis-server, and a test
    /// environment whose settings point at it; all of it is stopped and removed afterwards, also
    /// when `body` throws.
    static func withFakeCluster(
        spec: String, timeout: Duration,
        _ body: (FakeKubernetesAPIServer, FakeKubelet, LocalTestEnvironment, GlobalSettings) async throws -> Void
    ) async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let kubelet = try server.startKubelet()
        let environment = try LocalTestEnvironment(spec: spec)
        do {
            var settings = settings(environment, kubeconfig: try kubeconfig(environment, server: server.baseURL.absoluteString))
            settings.timeout = timeout
            try await body(server, kubelet, environment, settings)
        } catch {
            await kubelet.shutdown()
            try? await server.stop()
            try? FileManager.default.removeItem(at: environment.stateDirectory)
            throw error
        }
        await kubelet.shutdown()
        try await server.stop()
        try? FileManager.default.removeItem(at: environment.stateDirectory)
    }

    static func settings(_ environment: LocalTestEnvironment, kubeconfig: String) -> GlobalSettings {
        var settings = environment.settings(timeout: .seconds(20))
        settings.platform = .kubernetes
        settings.kubeconfig = kubeconfig
        return settings
    }

    @Test func serverDryRunReportsWhatWouldBeCreated() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        _ = server.seed("namespaces", object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "redis-system"]])
        let config = try Self.kubeconfig(environment, server: server.baseURL.absoluteString)
        let run = await environment.run(Self.settings(environment, kubeconfig: config)) {
            try await DeployCommand(dryRun: .server).run($0)
        }
        try await server.stop()
        #expect(run.status == 0, "\(run.stderr)")
        let result = try run.result(DeployResult.self)
        #expect(result.dryRun != nil)
        #expect(result.applied.created.contains("StatefulSet redis-system/\(environment.name)"))
        #expect(server.objects("statefulsets", namespace: "redis-system").isEmpty)
    }

    /// Regression test for `deploy --dry-run server` into a new namespace failing with
    /// `namespaces "X" not found`: exit 0, the Namespace checked by the server, every object
    /// inside it reported as not checkable yet, in JSON and in text; nothing stored.
    @Test func serverDryRunIntoANewNamespaceReportsWhatTheServerCannotCheck() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let config = try Self.kubeconfig(environment, server: server.baseURL.absoluteString)
        var settings = Self.settings(environment, kubeconfig: config)
        settings.namespace = "fresh"
        let before = server.currentResourceVersion
        let json = await environment.run(settings) { try await DeployCommand(dryRun: .server).run($0) }
        settings.output = .text
        let text = await environment.run(settings) { try await DeployCommand(dryRun: .server).run($0) }
        let stored = server.currentResourceVersion
        try await server.stop()

        #expect(json.status == 0, "\(json.stderr)")
        let result = try json.result(DeployResult.self)
        let objects = try #require(result.dryRun)
        let namespace = try #require(objects.first)
        #expect(namespace == DryRunObject(object: "Namespace fresh", result: .created, checked: true), "\(namespace)")
        let note = "would be created; the server cannot check it until namespace fresh exists"
        let quota = try #require(objects.first { $0.object == "ResourceQuota fresh/\(environment.name)-quota" })
        #expect(quota == DryRunObject(object: quota.object, result: .created, checked: false, note: note))
        #expect(objects.dropFirst().allSatisfy { !$0.checked }, "\(objects)")
        #expect(result.applied.created.contains("StatefulSet fresh/\(environment.name)"))

        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("created: Namespace fresh\n"), "\(text.stdout)")
        #expect(text.stdout.contains("StatefulSet fresh/\(environment.name): \(note)"), "\(text.stdout)")
        #expect(stored == before, "a dry run stored something")
    }

    /// Pods whose redis-server cannot start: deploy gives up at --timeout with exit 1, naming the
    /// pods and what the kubelet last said about them.
    /// An issuer in the spec without cert-manager in the cluster: no one would make the TLS Secret,
    /// so deploy stops before it writes anything.
    @Test func anIssuerWithoutCertManagerChangesNothing() async throws {
        try await Self.withFakeCluster(spec: "tls: {enabled: true, issuer: {name: internal-ca, kind: ClusterIssuer}}",
                                       timeout: .seconds(30)) { server, _, environment, settings in
            let writes = server.requestLog.filter { !$0.hasPrefix("GET") }.count
            let deploy = await environment.run(settings) { try await DeployCommand().run($0) }
            #expect(deploy.status == 2, "\(deploy.stderr)")
            #expect(deploy.stderr.contains("does not serve cert-manager.io/v1") && deploy.stderr.contains("ClusterIssuer internal-ca"),
                    "\(deploy.stderr)")
            #expect(server.requestLog.filter { !$0.hasPrefix("GET") }.count == writes, "\(server.requestLog.suffix(5))")
            #expect(server.objects("secrets").isEmpty && server.objects("statefulsets").isEmpty)
        }
    }

    @Test func podsThatNeverStartFailDeployWithTheirEvents() async throws {
        try await Self.withFakeCluster(spec: "redis: {extraConfig: {no-such-directive: \"1\"}}", timeout: .seconds(6)) { _, _, environment, settings in
            let run = await environment.run(settings) { try await DeployCommand().run($0) }
            #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
            #expect(run.stderr.contains("timed out waiting for 6 pods"), "\(run.stderr)")
            #expect(run.stderr.contains("\(environment.name)-0: BackOff: Back-off restarting failed container"), "\(run.stderr)")
            #expect(run.stderr.contains("no-such-directive"), "the event carries redis-server's complaint: \(run.stderr)")
            let errorLines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(errorLines.count == 1 && run.stderr.hasSuffix("\n") && run.stderr.split(separator: "\n").last?.hasPrefix("error:") == true,
                    "one error line: \(run.stderr)")
        }
    }

    @Test func unreachableAPIServerExits2NamingTheURL() async throws {
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        // A port nothing listens on.
        let url = "http://127.0.0.1:\(Int.random(in: 20000...29999))"
        let config = try Self.kubeconfig(environment, server: url)
        let started = ContinuousClock.now
        let run = await environment.run(Self.settings(environment, kubeconfig: config)) {
            try await DeployCommand(dryRun: .server).run($0)
        }
        #expect(run.status == 2)
        #expect(run.stderr.contains(url), "\(run.stderr)")
        // One connect timeout (5 s), not the whole retry budget.
        #expect(ContinuousClock.now - started < .seconds(12))
    }

    /// Regression test: behind a certificate authority the kubeconfig does not trust, deploy took 57 s
    /// with nothing on stderr. It ends at once, exit 2, saying what to check.
    @Test func untrustedAPIServerExits2AtOnceNamingTheCertificate() async throws {
        var options = FakeAPIServerOptions()
        options.tls = (TestPKI.serverCertificate, TestPKI.serverKey)
        let server = try await FakeKubernetesAPIServer.start(options: options)
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let config = try Self.kubeconfig(environment, server: server.baseURL.absoluteString,
                                         certificateAuthority: TestPKI.otherCACertificate)
        let started = ContinuousClock.now
        let run = await environment.run(Self.settings(environment, kubeconfig: config)) { try await VerifyCommand().run($0) }
        let elapsed = ContinuousClock.now - started
        try await server.stop()
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("error: TLS handshake with the Kubernetes API server at \(server.baseURL.absoluteString) "
                                     + "failed: its certificate is not signed by the certificate authority the kubeconfig trusts"),
                "\(run.stderr)")
        #expect(elapsed < .seconds(5), "\(elapsed)")
    }

    /// An API server that accepts connections and never answers: each call, its retries
    /// included, ends within --timeout (it was a fixed 30 s per call).
    @Test func silentAPIServerIsBoundedByTheTimeout() async throws {
        let silent = try await UnresponsiveListener.start()
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let config = try Self.kubeconfig(environment, server: "http://\(silent.endpoint.host):\(silent.endpoint.port)")
        var settings = Self.settings(environment, kubeconfig: config)
        settings.timeout = .seconds(3)
        let started = ContinuousClock.now
        let run = await environment.run(settings) { try await VerifyCommand().run($0) }
        let elapsed = ContinuousClock.now - started
        await silent.stop()
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("\(silent.endpoint.host):\(silent.endpoint.port)"), "\(run.stderr)")
        #expect(elapsed < .seconds(9), "\(elapsed)")
    }

    @Test func refusedTokenAndMissingRightsExit2() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        server.setRequiredBearerToken("right-token")
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let wrong = try Self.kubeconfig(environment, server: server.baseURL.absoluteString, token: "wrong-token")
        let refused = await environment.run(Self.settings(environment, kubeconfig: wrong)) {
            try await DeployCommand(dryRun: .server).run($0)
        }
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("authentication refused"), "\(refused.stderr)")

        server.forbid(verb: "patch", resource: "statefulsets")
        _ = server.seed("namespaces", object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "redis-system"]])
        let right = try Self.kubeconfig(environment, server: server.baseURL.absoluteString, token: "right-token")
        let forbidden = await environment.run(Self.settings(environment, kubeconfig: right)) {
            try await DeployCommand(dryRun: .server).run($0)
        }
        try await server.stop()
        #expect(forbidden.status == 2)
        #expect(forbidden.stderr.contains("statefulsets"), "\(forbidden.stderr)")
        #expect(forbidden.stderr.contains("redis-system"), "\(forbidden.stderr)")
    }

    @Test func malformedKubeconfigExits2NamingTheFile() async throws {
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let path = environment.stateDirectory.appendingPathComponent("broken-kubeconfig").path
        try "clusters: [{name: x, cluster: {server: https://h:6443}}]\ncurrent-context: missing\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let run = await environment.run(Self.settings(environment, kubeconfig: path)) {
            try await VerifyCommand().run($0)
        }
        #expect(run.status == 2)
        #expect(run.stderr.contains(path), "\(run.stderr)")
    }
}
