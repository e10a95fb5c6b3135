import Foundation
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// `deploy` on the kubernetes platform, end to end: the fake API server stores what deploy applies,
/// the fake kubelet runs every pod as a real redis-server, and deploy forms and verifies the
/// cluster over RESP through the same code paths a real cluster uses.
@Suite(.serialized) struct KubernetesDeployEndToEndTests {
    @Test func deployRedeployChangeAndDestroy() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let kubelet = try server.startKubelet()
        let environment = try LocalTestEnvironment(spec: "redis: {clusterNodeTimeoutMs: 2000}")
        do {
            try await run(server: server, kubelet: kubelet, environment: environment)
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

    func run(server: FakeKubernetesAPIServer, kubelet: FakeKubelet, environment: LocalTestEnvironment) async throws {
        let config = try KubernetesCommandTests.kubeconfig(environment, server: server.baseURL.absoluteString)
        var settings = KubernetesCommandTests.settings(environment, kubeconfig: config)
        settings.timeout = .seconds(120)
        let name = environment.name

        let first = await environment.run(settings) { try await DeployCommand().run($0) }
        #expect(first.status == 0, "deploy: \(first.stdout) \(first.stderr)")
        let report = try first.json()
        #expect(report["healthy"] as? Bool == true)
        #expect(report["init"] as? String == "formed")
        #expect(first.stderr.contains("6/6 pods ready"))
        let nodes = ((report["verify"] as? [String: Any])?["nodes"] as? [[String: Any]]) ?? []
        #expect(nodes.count == 6)
        #expect(kubelet.runningPIDs.count == 6)

        // The kubelet has 3 nodes in 2 zones: every replica is off its master's node; one master's
        // zone cannot be avoided, which the check reports as a warning, not a failure.
        let checks = ((report["verify"] as? [String: Any])?["checks"] as? [[String: Any]]) ?? []
        let placement = try #require(checks.first { $0["name"] as? String == "replica-placement" })
        #expect(placement["status"] as? String != "fail")
        #expect(!(placement["message"] as? String ?? "").contains("Kubernetes node"), "\(placement)")

        let second = await environment.run(settings) { try await DeployCommand().run($0) }
        #expect(second.status == 0, "re-deploy: \(second.stderr)")
        let again = try second.json()
        #expect(again["changed"] as? Bool == false)
        #expect(again["init"] as? String == "already-initialized")

        // Outside a cluster the default is port-forward: every RESP connection is a tunnel through
        // the API server. verify opens two per node (with and without the password).
        #expect(server.portForwardCount >= 6, "deploy did not use the API server's port-forward")
        let tunnelsBefore = server.portForwardCount
        let verify = await environment.run(settings) { try await VerifyCommand(writeTest: true).run($0) }
        #expect(verify.status == 0, "verify: \(verify.stdout)")
        #expect(server.portForwardCount - tunnelsBefore >= 12)

        // --connect direct reaches the pod IPs without the API server.
        var direct = settings
        direct.connect = .direct
        let tunnelsBeforeDirect = server.portForwardCount
        let directVerify = await environment.run(direct) { try await VerifyCommand().run($0) }
        #expect(directVerify.status == 0, "verify --connect direct: \(directVerify.stdout)")
        #expect(server.portForwardCount == tunnelsBeforeDirect)

        let connection = await environment.run(settings) { try await ConnectionCommand().run($0) }
        #expect(try connection.json()["host"] as? String == "\(name == "redis-cluster" ? "redis" : name).redis-system.svc.cluster.local")

        let destroy = await environment.run(settings) { try await DestroyCommand().run($0) }
        #expect(destroy.status == 0, "\(destroy.stderr)")
        #expect(server.objects("statefulsets", namespace: "redis-system").isEmpty)
        #expect(server.objects("persistentvolumeclaims", namespace: "redis-system").count == 6, "PVCs are kept")
        try await poll("the kubelet to stop the pods", until: .after(.seconds(30))) {
            kubelet.runningPIDs.isEmpty ? .done(()) : .notYet("\(kubelet.runningPIDs.count) still running")
        }
    }
}
