import Foundation
import Kubernetes
import RESP
import RedisCtlCore
import TestSupport
import Testing
@testable import RedisCtlKit

/// Regression test for `--nodes` requiring a kubeconfig: with `--nodes`, init-cluster and verify
/// run on plain redis-server processes on a machine with no kubeconfig and no in-cluster
/// service account, on the default (kubernetes) platform.
@Suite struct NodesWithoutPlatformTests {
    static let password = "nodes-without-platform-pw-0123"

    /// A home with no `.kube`, no `$KUBECONFIG`, no `KUBERNETES_SERVICE_*`, no password variables.
    struct BareMachine {
        let home: URL
        let specPath: String

        init() throws {
            home = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-bare-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            specPath = home.appendingPathComponent("spec.yaml").path
            try LocalTestEnvironment.specYAML(name: "bare", spec: """
                masters: 3
                replicasPerMaster: 0
                disruption: {minAvailable: 2}
                redis: {clusterNodeTimeoutMs: 2000, save: [], appendonly: false}
                """).write(toFile: specPath, atomically: true, encoding: .utf8)
        }

        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment
            for variable in ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "REDISCTL_PASSWORD",
                             "REDISCLI_AUTH", "REDISCTL_PLATFORM", "REDISCTL_STATE_DIR"] {
                environment.removeValue(forKey: variable)
            }
            environment["HOME"] = home.path
            return environment.merging(extra) { $1 }
        }

        func run(nodes: [RedisEndpoint], environment: [String: String],
                 _ body: (CommandContext) async throws -> Int32) async -> CommandRun {
            let output = CapturedOutput()
            let settings = GlobalSettings(configPath: specPath, platform: .kubernetes, output: .json,
                                          timeout: .seconds(60), verbosity: .verbose, nodes: nodes)
            let context = CommandContext(settings: settings, console: output.console(), environment: environment,
                                         workingDirectory: home.path)
            var status: Int32
            do {
                status = try await body(context)
            } catch let failure as any RedisCtlFailure {
                output.console().writeErr("error: \(failure.message)\n")
                status = failure.category.rawValue
            } catch {
                output.console().writeErr("error: \(error)\n")
                status = 1
            }
            return CommandRun(status: status, stdout: output.stdout, stderr: output.stderr)
        }
    }

    @Test func initClusterAndVerifyNeedNoKubeconfig() async throws {
        let machine = try BareMachine()
        defer { try? FileManager.default.removeItem(at: machine.home) }
        // The machine really has no Kubernetes credentials to find.
        #expect(throws: KubeConfigError.self) {
            try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: machine.environment())
        }
        let servers = try await RedisServerProcess.startMany(
            count: 3, extraConfig: ["cluster-enabled yes", "cluster-node-timeout 2000"], password: Self.password)
        defer { servers.forEach { $0.stop() } }
        let nodes = servers.map(\.endpoint)
        let withPassword = machine.environment(["REDISCTL_PASSWORD": Self.password])

        let initialized = await machine.run(nodes: nodes, environment: withPassword) {
            try await InitClusterCommand().run($0)
        }
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(!initialized.stderr.contains("kubeconfig"), "\(initialized.stderr)")

        let verified = await machine.run(nodes: nodes, environment: withPassword) { try await VerifyCommand().run($0) }
        #expect(verified.status == 0, "\(verified.stderr)\n\(verified.stdout)")
        #expect(try verified.result(VerifyResult.self).report.healthy, "\(verified.stdout)")

        // A password from --password-file works the same.
        let passwordFile = machine.home.appendingPathComponent("password").path
        try (Self.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let fromFile = await machine.run(nodes: nodes, environment: machine.environment()) { context in
            var context = context
            context.settings.passwordFile = passwordFile
            return try await VerifyCommand().run(context)
        }
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
    }

    @Test func noPasswordSaysWhereToGiveOne() async throws {
        let machine = try BareMachine()
        defer { try? FileManager.default.removeItem(at: machine.home) }
        let server = try await RedisServerProcess.start(extraConfig: ["cluster-enabled yes"], password: Self.password)
        defer { server.stop() }

        for command in ["verify", "init-cluster"] {
            let run = await machine.run(nodes: [server.endpoint], environment: machine.environment()) { context in
                command == "verify" ? try await VerifyCommand().run(context) : try await InitClusterCommand().run(context)
            }
            #expect(run.status == 2, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("REDISCTL_PASSWORD") && run.stderr.contains("--password-file"), "\(command): \(run.stderr)")
            #expect(!run.stderr.contains("kubeconfig"), "\(command): \(run.stderr)")
        }
    }
}
