import Foundation
import Platforms
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// The spec a cluster was deployed with is what later commands use unless a new one is given:
/// `deploy` and `scale` without a spec file never fall back to the built-in defaults, and a spec
/// file that differs is named, not silently written into the pods' configuration.
@Suite(.serialized) struct DeployedSpecTests {
    static let spec = "masters: 3\nreplicasPerMaster: 0\ndisruption: {minAvailable: 2}\nredis: {maxmemory: 256mb, clusterNodeTimeoutMs: 5000}"

    @Test func laterCommandsUseTheDeployedSpec() async throws {
        try await LocalTestEnvironment.withCluster(spec: Self.spec, run)
    }

    func run(_ environment: LocalTestEnvironment) async throws {
        let deploy = await environment.run { try await DeployCommand().run($0) }
        try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
        // The operator's spec file is gone from the working directory: later commands get no spec.
        let kept = environment.stateDirectory.appendingPathComponent("deployed.yaml").path
        try FileManager.default.moveItem(atPath: environment.configPath, toPath: kept)
        var noSpec = environment.settings(timeout: .seconds(120))
        noSpec.configPath = nil
        noSpec.name = environment.name

        let redeploy = await environment.run(noSpec) { try await DeployCommand().run($0) }
        #expect(redeploy.status == 0, "deploy without a spec: \(redeploy.stdout) \(redeploy.stderr)")
        #expect(try redeploy.result(DeployResult.self).changed == false, "\(redeploy.stdout)")
        try expectMaxmemory(environment, pods: 3, "256mb")

        let grow = await environment.run(noSpec) { try await ScaleCommand(masters: 4).run($0) }
        #expect(grow.status == 0, "scale without a spec: \(grow.stdout) \(grow.stderr)")
        try expectMaxmemory(environment, pods: 4, "256mb")

        // A spec file that changes more than the size is refused by scale, naming what differs.
        let other = environment.stateDirectory.appendingPathComponent("other.yaml").path
        try LocalTestEnvironment.specYAML(name: environment.name, spec: Self.spec.replacingOccurrences(of: "256mb", with: "512mb"))
            .write(toFile: other, atomically: true, encoding: .utf8)
        var otherSpec = noSpec
        otherSpec.configPath = other
        let refused = await environment.run(otherSpec) { try await ScaleCommand(masters: 3).run($0) }
        #expect(refused.status == 2, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("spec.redis.maxmemory") && refused.stderr.contains("deploy --config"), "\(refused.stderr)")
        try expectMaxmemory(environment, pods: 4, "256mb")
        let platform = environment.localPlatform
        #expect(try await platform.pods().count == 4)
        #expect(try await platform.deployedSpec()?.spec.masters == 4)

        // The deployed spec itself (at the scaled size) is accepted.
        var deployedSpec = noSpec
        deployedSpec.configPath = kept
        let verify = await environment.run(deployedSpec) { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify with the deployed spec: \(verify.stdout) \(verify.stderr)")
        #expect(verify.stderr.contains("keeping the running size"), "\(verify.stderr)")

        // A changed spec rolls out on a cluster whose slots scale moved (init-cluster's layout no
        // longer applies there): every pod restarts onto it, one at a time.
        try LocalTestEnvironment.specYAML(name: environment.name, spec: Self.spec.replacingOccurrences(of: "256mb", with: "300mb"))
            .write(toFile: kept, atomically: true, encoding: .utf8)
        let rollout = await environment.run(deployedSpec) { try await DeployCommand().run($0) }
        #expect(rollout.status == 0, "deploy of a changed spec after scale: \(rollout.stdout) \(rollout.stderr)")
        #expect(rollout.stderr.contains("differs from the deployed one in spec.redis.maxmemory"), "\(rollout.stderr)")
        #expect(try rollout.result(DeployResult.self).restarted.count == 4, "\(rollout.stdout)")
        try expectMaxmemory(environment, pods: 4, "300mb")
        #expect(try await platform.podsAwaitingRestart().isEmpty)
        #expect(try await platform.deployedSpec()?.spec.redis.maxmemory == "300mb")

        // Below every resize: a master that owns slots is not stopped, whoever asks.
        let context = CommandContext(settings: deployedSpec, console: CapturedOutput().console(),
                                     environment: environment.environment, workingDirectory: environment.stateDirectory.path)
        let target = try await DeploymentTarget.resolve(context).adoptingDeployedSpec(progress: SilentProgress())
        var smaller = target.deployment
        smaller.spec.masters = 3
        do {
            _ = try await platform.resize(smaller, removalGuard: target.removalGuard(progress: SilentProgress()),
                                          deleteData: true, deadline: .after(.seconds(30)), progress: SilentProgress())
            Issue.record("a resize stopped a master that owns slots")
        } catch let error as GeneralFailure {
            #expect(error.category == .operationFailed)
            #expect(error.message.contains("\(environment.name)-3 owns") && error.message.contains("nothing was changed"),
                    "\(error.message)")
        }
        #expect(try await platform.pods().filter(\.ready).count == 4)
        #expect(try await platform.deployedSpec()?.spec.masters == 4)
    }

    func expectMaxmemory(_ environment: LocalTestEnvironment, pods: Int, _ value: String) throws {
        for ordinal in 0..<pods {
            let file = environment.clusterDirectory.appendingPathComponent("pods/\(environment.name)-\(ordinal)/redis.conf")
            let config = try String(contentsOf: file, encoding: .utf8)
            #expect(config.contains("\nmaxmemory \(value)\n"), "\(environment.name)-\(ordinal): \(config.prefix(400))")
        }
        let extra = environment.clusterDirectory.appendingPathComponent("pods/\(environment.name)-\(pods)/redis.conf")
        #expect(!FileManager.default.fileExists(atPath: extra.path), "a pod beyond \(pods) has a config")
    }
}
