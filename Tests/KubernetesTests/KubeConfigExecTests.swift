import Foundation
import Testing
@testable import Kubernetes

/// Exec credential plugins, played by shell scripts that count their runs in a file.
@Suite struct KubeConfigExecTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    var environment: [String: String] { isolatedEnvironment(home: directory.file("home")) }

    /// A plugin printing `status` (JSON, may use `$RUN`, the run number) under `apiVersion`.
    func writePlugin(apiVersion: String = "client.authentication.k8s.io/v1", status: String, name: String = "plugin.sh") throws {
        try directory.writeScript(name, """
            echo run >> '\(directory.file("runs"))'
            RUN=$(wc -l < '\(directory.file("runs"))' | tr -d ' ')
            printf '%s' "$KUBERNETES_EXEC_INFO" > '\(directory.file("exec-info"))'
            printf '%s|%s' "$*" "$PLUGIN_GREETING" > '\(directory.file("invocation"))'
            cat <<JSON
            {"apiVersion":"\(apiVersion)","kind":"ExecCredential","status":\(status)}
            JSON
            """)
    }

    func provider(
        apiVersion: String = "client.authentication.k8s.io/v1", command: String = "./plugin.sh",
        extra: String = "", environment: [String: String]? = nil, pluginTimeout: Duration = .seconds(60)
    ) throws -> (KubeContext, KubeCredentialProvider) {
        let path = try directory.write("config", kubeconfig(user: """
                exec:
                  apiVersion: \(apiVersion)
                  command: \(command)
                  args: [get-token, --cluster, main]
                  env: [{name: PLUGIN_GREETING, value: hello}]
                  interactiveMode: Never
                  installHint: "install it with: brew install plugin"
            \(extra)
            """))
        let environment = environment ?? self.environment
        let context = try KubeConfigLoader.resolve(kubeconfigPath: path, contextName: nil, environment: environment)
        return (context, KubeCredentialProvider(credentials: context.credentials, environment: environment,
                                                clusterServer: context.server, pluginTimeout: pluginTimeout))
    }

    @Test func v1TokenIsCachedUntilExpiryAndRerunAfterInvalidate() async throws {
        try writePlugin(status: #"{"token":"token-$RUN","expirationTimestamp":"2999-01-01T00:00:00Z"}"#)
        let (context, provider) = try provider()
        guard case .exec(let config) = context.credentials else {
            Issue.record("expected exec credentials, got \(context.credentials)")
            return
        }
        #expect(config.command == directory.file("plugin.sh"))

        #expect(try await provider.authorizationHeader() == "Bearer token-1")
        #expect(try await provider.authorizationHeader() == "Bearer token-1")
        #expect(try directory.runCount() == 1)
        #expect(try directory.read("invocation") == "get-token --cluster main|hello")
        let info = try JSONSerialization.jsonObject(with: Data(try directory.read("exec-info").utf8)) as? [String: Any]
        #expect(info?["apiVersion"] as? String == "client.authentication.k8s.io/v1")
        #expect(info?["kind"] as? String == "ExecCredential")
        #expect((info?["spec"] as? [String: Any])?["interactive"] as? Bool == false)
        #expect((info?["spec"] as? [String: Any])?["cluster"] == nil)

        await provider.invalidate()
        #expect(try await provider.authorizationHeader() == "Bearer token-2")
        #expect(try directory.runCount() == 2)
    }

    @Test func v1beta1ExpiredCredentialsRunThePluginAgain() async throws {
        try writePlugin(apiVersion: "client.authentication.k8s.io/v1beta1",
                        status: #"{"token":"token-$RUN","expirationTimestamp":"2001-01-01T00:00:00.5Z"}"#)
        let (_, provider) = try provider(apiVersion: "client.authentication.k8s.io/v1beta1")
        #expect(try await provider.authorizationHeader() == "Bearer token-1")
        #expect(try await provider.authorizationHeader() == "Bearer token-2")
        #expect(try directory.runCount() == 2)
    }

    @Test func tokenWithoutExpiryIsCachedUntilInvalidated() async throws {
        try writePlugin(status: #"{"token":"token-$RUN"}"#)
        let (_, provider) = try provider()
        for _ in 0..<3 { #expect(try await provider.authorizationHeader() == "Bearer token-1") }
        #expect(try directory.runCount() == 1)
    }

    @Test func concurrentRequestsShareOnePluginRun() async throws {
        try writePlugin(status: #"{"token":"token-$RUN"}"#)
        let (_, provider) = try provider()
        let headers = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { try await provider.authorizationHeader() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(headers == Array(repeating: "Bearer token-1", count: 8))
        #expect(try directory.runCount() == 1)
    }

    @Test func clientCertificateAnswer() async throws {
        let certificate = TestPEM.certificate.replacingOccurrences(of: "\n", with: "\\n")
        let key = TestPEM.key.replacingOccurrences(of: "\n", with: "\\n")
        try writePlugin(status: #"{"clientCertificateData":"\#(certificate)","clientKeyData":"\#(key)"}"#)
        let (_, provider) = try provider()
        #expect(try await provider.authorizationHeader() == nil)
        let pair = try await provider.execClientCertificate()
        #expect(pair?.certificatePEM == TestPEM.certificateBytes)
        #expect(pair?.keyPEM == TestPEM.keyBytes)
        #expect(try directory.runCount() == 1)
    }

    @Test func clusterInfoIsPassedWhenAskedFor() async throws {
        try writePlugin(status: #"{"token":"t"}"#)
        let (_, provider) = try provider(extra: "      provideClusterInfo: true")
        _ = try await provider.authorizationHeader()
        let info = try JSONSerialization.jsonObject(with: Data(try directory.read("exec-info").utf8)) as? [String: Any]
        let cluster = (info?["spec"] as? [String: Any])?["cluster"] as? [String: Any]
        #expect(cluster?["server"] as? String == "https://k8s.example.com:6443")
    }

    @Test func bareCommandIsFoundOnPath() async throws {
        try writePlugin(status: #"{"token":"from-path"}"#, name: "bin/kube-token-helper")
        let environment = isolatedEnvironment(home: directory.file("home"), ["PATH": directory.file("bin") + ":/usr/bin:/bin"])
        let (_, provider) = try provider(command: "kube-token-helper", environment: environment)
        #expect(try await provider.authorizationHeader() == "Bearer from-path")
    }

    @Test func failingPluginReportsStderrAndInstallHint() async throws {
        try directory.writeScript("plugin.sh", "echo 'error: SSO session expired' >&2\nexit 3")
        let (_, provider) = try provider()
        let message = await kubeConfigErrorMessage { _ = try await provider.authorizationHeader() }
        #expect(message == "\(directory.file("config")): user 'admin': exec plugin '\(directory.file("plugin.sh"))' exited with status 3: error: SSO session expired (install it with: brew install plugin)")
    }

    @Test func missingPluginReportsInstallHint() async throws {
        let (_, provider) = try provider(command: "no-such-plugin-anywhere")
        let message = await kubeConfigErrorMessage { _ = try await provider.authorizationHeader() }
        #expect(message.hasSuffix("user 'admin': exec plugin 'no-such-plugin-anywhere' was not found on PATH (install it with: brew install plugin)"))
    }

    @Test func answerWithWrongAPIVersionIsRejected() async throws {
        try writePlugin(apiVersion: "client.authentication.k8s.io/v1beta1", status: #"{"token":"t"}"#)
        let (_, provider) = try provider()
        let message = await kubeConfigErrorMessage { _ = try await provider.authorizationHeader() }
        #expect(message.hasSuffix("answered apiVersion 'client.authentication.k8s.io/v1beta1', expected 'client.authentication.k8s.io/v1'"))
    }

    @Test func answerWithoutCredentialsIsRejected() async throws {
        try writePlugin(status: #"{"expirationTimestamp":"2999-01-01T00:00:00Z"}"#)
        let (_, provider) = try provider()
        let message = await kubeConfigErrorMessage { _ = try await provider.authorizationHeader() }
        #expect(message.hasSuffix("answered neither a token nor a client certificate"))
    }

    @Test func answerThatIsNotJSONIsRejectedWithoutEchoingIt() async throws {
        try directory.writeScript("plugin.sh", "echo 'secret-ish output'")
        let (_, provider) = try provider()
        let message = await kubeConfigErrorMessage { _ = try await provider.authorizationHeader() }
        #expect(message.hasSuffix("did not print an ExecCredential as JSON on stdout"))
        #expect(!message.contains("secret-ish"))
    }

    @Test func hungPluginIsKilledAtTheBound() async throws {
        try directory.writeScript("plugin.sh", "exec sleep 30")
        let config = ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: directory.file("plugin.sh"), origin: "test: user 'u'")
        let server = try #require(URL(string: "https://k8s.example.com"))
        let started = ContinuousClock.now
        let message = await kubeConfigErrorMessage {
            _ = try await ExecCredentialPlugin.run(config, environment: environment, clusterServer: server, timeout: .milliseconds(300))
        }
        #expect(message.hasPrefix("test: user 'u': exec plugin '\(directory.file("plugin.sh"))' did not answer within"))
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func pluginLeavingAChildOnItsStdoutIsBoundedToo() async throws {
        // The background sleep keeps stdout open after the plugin exits; it ends on its own. The
        // answer must come well before it does, with room for a loaded machine.
        try directory.writeScript("plugin.sh", "sleep 30 &\necho '{}'")
        let config = ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: directory.file("plugin.sh"), origin: "test: user 'u'")
        let server = try #require(URL(string: "https://k8s.example.com"))
        let started = ContinuousClock.now
        let message = await kubeConfigErrorMessage {
            _ = try await ExecCredentialPlugin.run(config, environment: environment, clusterServer: server, timeout: .milliseconds(300))
        }
        #expect(message.contains("did not answer within"))
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    /// Regression test: a plugin flooding stdout grew redisctl's memory without bound (8.7 GB in 36 s).
    @Test func floodingPluginIsStoppedAtTheCap() async throws {
        try directory.writeScript("plugin.sh", "exec yes 0123456789abcdef")
        let config = ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: directory.file("plugin.sh"), origin: "test: user 'u'")
        let server = try #require(URL(string: "https://k8s.example.com"))
        let message = await kubeConfigErrorMessage {
            _ = try await ExecCredentialPlugin.run(config, environment: environment, clusterServer: server, timeout: .seconds(30))
        }
        #expect(message == "test: user 'u': exec plugin '\(directory.file("plugin.sh"))' printed more than 1024 KiB on stdout, "
                + "more than any ExecCredential; it was stopped", "\(message)")
    }

    /// Regression test: a hung plugin's children were orphaned. Everything it started is stopped with it.
    @Test func hungPluginIsStoppedWithWhatItStarted() async throws {
        try directory.writeScript("plugin.sh", "sleep 300 &\necho $! > '\(directory.file("child"))'\nexec sleep 300")
        let config = ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: directory.file("plugin.sh"), origin: "test: user 'u'")
        let server = try #require(URL(string: "https://k8s.example.com"))
        let message = await kubeConfigErrorMessage {
            _ = try await ExecCredentialPlugin.run(config, environment: environment, clusterServer: server, timeout: .milliseconds(500))
        }
        #expect(message.contains("did not answer within 0.5 seconds; it and what it started were stopped"), "\(message)")
        let child = try #require(Int32(try directory.read("child").trimmingCharacters(in: .whitespacesAndNewlines)))
        // Killed at once; init reaps it within moments.
        let gone = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < gone, Self.isAlive(child) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Self.isAlive(child), "the plugin's child \(child) still runs")
    }

    /// Regression test: a hung plugin was waited for a fixed 60 s, twice. The provider's bound is the
    /// command's --timeout, and a failed run is not repeated within one command.
    @Test func providerBoundsThePluginByItsTimeoutAndRunsAFailingOneOnce() async throws {
        try directory.writeScript("plugin.sh", "echo run >> '\(directory.file("runs"))'\nexec sleep 300")
        let (_, provider) = try provider(pluginTimeout: .milliseconds(400))
        let started = ContinuousClock.now
        for _ in 0..<2 {
            let message = await kubeConfigErrorMessage { _ = try await provider.authorizationHeader() }
            #expect(message.contains("did not answer within 0.4 seconds"), "\(message)")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(try directory.runCount() == 1)
    }

    /// Alive and not a zombie waiting for its parent.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }
}
