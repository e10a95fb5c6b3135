import Foundation
import RESP
import TestSupport
import Testing
@testable import RedisCtlKit

/// Bad input is a one-line error with the contract's exit code, before anything is touched.
@Suite struct CommandInputErrorTests {
    /// Regression test: `--state-dir` naming a file printed a raw NSCocoaErrorDomain error.
    @Test func stateDirectoryThatIsAFileIsOneLineExitTwo() async throws {
        let environment = try LocalTestEnvironment(spec: "masters: 3")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let file = environment.stateDirectory.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        var settings = environment.settings()
        settings.stateDirectory = file.path
        for (name, command) in [("verify", { (context: CommandContext) in try await VerifyCommand().run(context) }),
                                ("deploy", { (context: CommandContext) in try await DeployCommand().run(context) })] {
            let run = await environment.run(settings, command)
            #expect(run.status == 2, "\(name): \(run.stderr)")
            #expect(run.stderr == "error: --state-dir \(file.path) is a file, not a directory; give a directory\n", "\(name): \(run.stderr)")
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "x")
    }

    /// Regression test: `init-cluster --masters 2` contacted the nodes and exited 2; it is a usage error.
    @Test func impossibleInitShapeIsAUsageErrorBeforeAnyIO() async throws {
        let environment = try LocalTestEnvironment(spec: "masters: 3")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let silent = try await UnresponsiveListener.start()
        let run = await environment.run(environment.settings(nodes: [silent.endpoint]),
                                        extraEnvironment: ["REDISCTL_PASSWORD": "pw"]) {
            try await InitClusterCommand(masters: 2).run($0)
        }
        await silent.stop()
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--masters 2"), "\(run.stderr)")
    }

    /// The manifests keep the spec's io-threads, but more threads than the pod's CPU limit is named.
    @Test func renderWarnsWhenIOThreadsExceedTheCPULimit() async throws {
        let environment = try LocalTestEnvironment(spec: """
            redis: {ioThreads: 8}
            resources: {limits: {cpu: "2", memory: 16Gi}}
            """)
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let run = await environment.run(environment.settings(output: .text)) { try await RenderCommand().run($0) }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("io-threads 8"))
        #expect(run.stderr == "warning: spec.redis.ioThreads 8 exceeds the pod's CPU limit 2: the threads compete for "
                + "the quota; set ioThreads to at most 2\n", "\(run.stderr)")

        try environment.rewriteSpec("masters: 3")
        let defaults = await environment.run(environment.settings(output: .text)) { try await RenderCommand().run($0) }
        #expect(defaults.status == 0 && defaults.stderr.isEmpty, "\(defaults.stderr)")
    }
}
