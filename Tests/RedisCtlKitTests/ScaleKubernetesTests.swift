import Foundation
import Platforms
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// `scale` on the kubernetes platform: the StatefulSet's replicas follow, the fake kubelet starts and
/// stops real redis-servers, and the slots move through the API server's port-forward.
@Suite(.serialized) struct ScaleKubernetesTests {
    @Test func growAndShrinkTheStatefulSet() async throws {
        try await KubernetesCommandTests.withFakeCluster(spec: "redis: {clusterNodeTimeoutMs: 5000}", timeout: .seconds(120), run)
    }

    func run(server: FakeKubernetesAPIServer, kubelet: FakeKubelet, environment: LocalTestEnvironment,
             settings: GlobalSettings) async throws {

        let deploy = await environment.run(settings) { try await DeployCommand().run($0) }
        try #require(deploy.status == 0, "deploy: \(deploy.stdout) \(deploy.stderr)")

        let grow = await environment.run(settings) { try await ScaleCommand(masters: 4).run($0) }
        #expect(grow.status == 0, "scale to 4: \(grow.stdout) \(grow.stderr)")
        let grown = try grow.result(ScaleResult.self)
        #expect(grown.healthy == true)
        #expect(grown.movedSlots == 4096)
        #expect(kubelet.runningPIDs.count == 8)
        // The new shard has its disruption budget.
        #expect(server.objects("poddisruptionbudgets", namespace: "redis-system").count == 4)
        let statefulSets = server.objects("statefulsets", namespace: "redis-system")
        #expect(statefulSets.first?["spec"]["replicas"].int == 8)

        // An unchanged spec does not undo the scale.
        let redeploy = await environment.run(settings) { try await DeployCommand().run($0) }
        #expect(redeploy.status == 0, "deploy after scale: \(redeploy.stdout) \(redeploy.stderr)")
        #expect(redeploy.stderr.contains("keeping the running size"))
        #expect(server.objects("statefulsets", namespace: "redis-system").first?["spec"]["replicas"].int == 8)

        // A read that fails (here the password) fails the deploy; the spec's smaller size is never
        // applied on a guess, and the record on the StatefulSet keeps the scaled size.
        server.forbid(verb: "get", resource: "secrets")
        let blind = await environment.run(settings) { try await DeployCommand().run($0) }
        server.allow(verb: "get", resource: "secrets")
        #expect(blind.status != 0, "deploy without the password: \(blind.stdout) \(blind.stderr)")
        #expect(server.objects("statefulsets", namespace: "redis-system").first?["spec"]["replicas"].int == 8)
        #expect(kubelet.runningPIDs.count == 8)

        // Below every apply: pods that own slots or hold keys are not removed, even when asked to.
        let context = CommandContext(settings: settings, console: CapturedOutput().console(),
                                     environment: environment.environment, workingDirectory: environment.stateDirectory.path)
        let target = try DeploymentTarget.resolve(context)
        let refusal: (any Error)?
        do {
            _ = try await target.platform.apply(target.deployment, removalGuard: target.removalGuard(progress: SilentProgress()),
                                                deadline: .after(.seconds(30)), progress: SilentProgress())
            refusal = nil
        } catch {
            refusal = error
        }
        await target.platform.shutdown()
        switch refusal {
        case nil:
            Issue.record("an apply of 3 masters removed pods of a 4-master cluster")
        case let error as GeneralFailure:
            #expect(error.category == .operationFailed)
            #expect(error.message.contains("owns 4096 slots"), "\(error.message)")
            #expect(error.message.contains("nothing was changed"), "\(error.message)")
        case let error?:
            Issue.record("the apply failed otherwise: \(error)")
        }
        #expect(server.objects("statefulsets", namespace: "redis-system").first?["spec"]["replicas"].int == 8)
        #expect(kubelet.runningPIDs.count == 8)

        let shrink = await environment.run(settings) { try await ScaleCommand(masters: 3).run($0) }
        #expect(shrink.status == 0, "scale to 3: \(shrink.stdout) \(shrink.stderr)")
        #expect(try shrink.result(ScaleResult.self).healthy == true)
        let budgets = server.objects("poddisruptionbudgets", namespace: "redis-system")
        #expect(budgets.count == 3, "the removed shard's budget goes: \(budgets.compactMap { $0["metadata"]["name"].string })")
        #expect(budgets.allSatisfy { ($0["spec"]["selector"]["matchExpressions"].array?.first?["values"].array?.count ?? 0) == 2 })
        try await poll("the kubelet to stop the removed pods", until: .after(.seconds(30))) {
            kubelet.runningPIDs.count == 6 ? .done(()) : .notYet("\(kubelet.runningPIDs.count) running")
        }
        #expect(server.objects("persistentvolumeclaims", namespace: "redis-system").count == 8, "PVCs are kept")
        let verify = await environment.run(settings) { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify: \(verify.stdout)")
    }
}
