import ClusterOps
import Foundation
import RESP
import RedisCtlCore
import Spec
import Testing
import TestSupport
@testable import RedisCtlKit

/// `deploy` on the kubernetes platform, end to end: the fake API server stores what deploy applies,
/// the fake kubelet runs every pod as a real redis-server, and deploy forms and verifies the
/// cluster over RESP through the same code paths a real cluster uses.
@Suite(.serialized) struct KubernetesDeployEndToEndTests {
    @Test func deployRedeployChangeAndDestroy() async throws {
        try await KubernetesCommandTests.withFakeCluster(spec: "redis: {clusterNodeTimeoutMs: 2000}", timeout: .seconds(120), run)
    }

    func run(server: FakeKubernetesAPIServer, kubelet: FakeKubelet, environment: LocalTestEnvironment,
             settings: GlobalSettings) async throws {
        let name = environment.name

        let first = await environment.run(settings) { try await DeployCommand().run($0) }
        #expect(first.status == 0, "deploy: \(first.stdout) \(first.stderr)")
        let report = try first.result(DeployResult.self)
        #expect(report.verify?.healthy == true)
        #expect(report.initStatus == "formed")
        #expect(first.stderr.contains("6/6 pods ready"))
        #expect(report.verify?.nodes.count == 6)
        #expect(kubelet.runningPIDs.count == 6)
        // The password reaches redis-server through the mounted auth.conf: no process shows it.
        let password = try #require(server.object("secrets", namespace: "redis-system", name: "redis-auth")?["data"]["password"]
            .string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) })
        for pid in kubelet.runningPIDs {
            let commandLine = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
            let text = String(decoding: commandLine.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            #expect(text.contains("--cluster-announce-ip") && !text.contains(password) && !text.contains("requirepass"),
                    "\(pid): \(text)")
        }

        // Each pod has the ACL users, from the users' Secrets: the exporter may read, not flush.
        let exporterPassword = try #require(server.object("secrets", namespace: "redis-system", name: "redis-auth-exporter")?["data"]["password"]
            .string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) })
        for pod in server.objects("pods", namespace: "redis-system") {
            let ip = try #require(pod["status"]["podIP"].string)
            let connection = try await RedisConnection.connect(to: RedisEndpoint(host: ip, port: 6379),
                                                               options: .init(user: "exporter", password: exporterPassword))
            #expect(try await connection.send(RedisCommand("INFO", "server")).string?.contains("redis_version") == true)
            await #expect(throws: RedisError.self) { _ = try await connection.send(RedisCommand("FLUSHALL")) }
            let masterUser = try? await connection.send(RedisCommand("CONFIG", "GET", "masteruser"))
            #expect(masterUser?.map?.first?.value.string == "replication")
            await connection.close()
        }

        try expectShardBudgets(server: server, name: name, report: try #require(report.verify))

        try await rotateAPassword(server: server, kubelet: kubelet, environment: environment, settings: settings)

        // The kubelet has 3 nodes in 2 zones: every replica is off its master's node; one master's
        // zone cannot be avoided, which the check reports as a warning, not a failure.
        let placement = try #require(report.verify?.check(named: "replica-placement"))
        #expect(placement.status != .fail)
        #expect(!placement.message.contains("Kubernetes node"), "\(placement)")

        let second = await environment.run(settings) { try await DeployCommand().run($0) }
        #expect(second.status == 0, "re-deploy: \(second.stderr)")
        let again = try second.result(DeployResult.self)
        #expect(again.changed == false)
        #expect(again.initStatus == "already-initialized")

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

        // A cluster-wide budget an older redisctl made overlaps the shards' (evictions would fail):
        // the next deploy removes it.
        let labels = try #require(server.object("poddisruptionbudgets", namespace: "redis-system", name: "\(name)-shard-0")?["metadata"]["labels"])
        server.seed("poddisruptionbudgets", namespace: "redis-system", object: [
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": ["name": .string(name), "namespace": "redis-system", "labels": labels],
            "spec": ["minAvailable": 4, "selector": ["matchLabels": ["app.kubernetes.io/instance": .string(name)]]],
        ])
        try await changedSpecRollsOnePodAtATime(server: server, environment: environment, settings: settings)
        #expect(server.object("poddisruptionbudgets", namespace: "redis-system", name: name) == nil)
        #expect(server.objects("poddisruptionbudgets", namespace: "redis-system").count == 3)

        // Every pod deleted at once comes back on a new IP; the cluster heals with no redisctl run.
        let healTime = try await FullRestartScenario(server: server, password: password).run()
        #expect(healTime < .seconds(30), "healed \(healTime) after the last pod was Ready")
        print("full restart: healed \(healTime) after the last pod was Ready")
        let afterRestart = await environment.run(settings) { try await VerifyCommand().run($0) }
        #expect(afterRestart.status == 0, "verify after the full restart: \(afterRestart.stdout)")

        try await repairAfterAFullRestartWithoutDNS(server: server, kubelet: kubelet, environment: environment, settings: settings)
        try await repairRePairsReplicasOffTheirMastersNodes(server: server, environment: environment, settings: settings, password: password)

        let connection = await environment.run(settings) { try await ConnectionCommand().run($0) }
        #expect(try connection.result(ConnectionResult.self).host == "\(name == "redis-cluster" ? "redis" : name).redis-system.svc.cluster.local")

        let destroy = await environment.run(settings) { try await DestroyCommand().run($0) }
        #expect(destroy.status == 0, "\(destroy.stderr)")
        #expect(server.objects("statefulsets", namespace: "redis-system").isEmpty)
        #expect(server.objects("persistentvolumeclaims", namespace: "redis-system").count == 6, "PVCs are kept")
        try await poll("the kubelet to stop the pods", until: .after(.seconds(30))) {
            kubelet.runningPIDs.isEmpty ? .done(()) : .notYet("\(kubelet.runningPIDs.count) still running")
        }

        // The data goes only when asked, and only with a confirmation.
        let refused = await environment.run(settings) { try await DestroyCommand(deleteData: true).run($0) }
        #expect(refused.status == 1 && refused.stderr.contains("--yes"), "\(refused.stderr)")
        #expect(server.objects("persistentvolumeclaims", namespace: "redis-system").count == 6)
        var confirmed = settings
        confirmed.assumeYes = true
        let deleted = await environment.run(confirmed) { try await DestroyCommand(deleteData: true).run($0) }
        #expect(deleted.status == 0, "destroy --delete-data: \(deleted.stderr)")
        #expect(server.objects("persistentvolumeclaims", namespace: "redis-system").isEmpty)
        #expect(server.object("namespaces", name: "redis-system") == nil)
    }

    /// A full restart while cluster DNS is down: no start script can refresh nodes.conf, so every
    /// node keeps its peers' old addresses. verify names them; repair meets every peer at its
    /// current address and the cluster is healthy again.
    func repairAfterAFullRestartWithoutDNS(server: FakeKubernetesAPIServer, kubelet: FakeKubelet,
                                           environment: LocalTestEnvironment, settings: GlobalSettings) async throws {
        let pods = server.objects("pods", namespace: "redis-system")
        let oldAddresses = Set(pods.compactMap { $0["status"]["podIP"].string })
        try kubelet.setClusterDNS(answering: false)
        server.deleteObjects("pods", namespace: "redis-system", names: pods.compactMap { $0["metadata"]["name"].string })
        try await poll("every pod back and Ready on a new address", until: .after(.seconds(120))) {
            let ready = server.objects("pods", namespace: "redis-system").filter { pod in
                guard let ip = pod["status"]["podIP"].string, !oldAddresses.contains(ip) else { return false }
                return (pod["status"]["conditions"].array ?? []).contains { $0["type"].string == "Ready" && $0["status"].string == "True" }
            }
            return ready.count == pods.count ? .done(()) : .notYet("\(ready.count)/\(pods.count) ready")
        }
        try kubelet.setClusterDNS(answering: true)

        let stale = await environment.run(settings) { try await VerifyCommand().run($0) }
        #expect(stale.status == 1, "verify with stale peer addresses: \(stale.stdout)")
        let check = try stale.result(VerifyResult.self).report.check(named: "peer-addresses")
        #expect(check?.status == .fail && check?.message.contains("it is at") == true, "\(String(describing: check))")

        var bounded = settings
        bounded.timeout = .seconds(90)
        // Pod IPs directly: under the full suite's load, tunnelled connections have gone 30 s
        // without a reply here (CLUSTER NODES after the MEETs); that is followed up on its own.
        bounded.connect = .direct
        let repair = await environment.run(bounded) { try await RepairCommand().run($0) }
        #expect(repair.status == 0, "repair: \(repair.stdout.suffix(1500)) \(repair.stderr.suffix(1500))")
        let result = try repair.result(RepairResult.self)
        #expect(result.steps.contains { $0.step == "refresh-address" }, "\(result.text)")
        print("repair after a full restart without DNS: \(result.steps.count) steps (\(Set(result.steps.map(\.step)).sorted()))")
        #expect(result.verify?.healthy == true, "\(result.text)")
        let again = await environment.run(settings) { try await RepairCommand().run($0) }
        #expect(again.status == 0 && (try? again.result(RepairResult.self).steps.isEmpty) == true, "a second repair has nothing to do: \(again.stdout)")
    }

    /// Each replica made to follow the master on its own Kubernetes node (pods go to node-a,
    /// node-b, node-c by ordinal, so pod i+3 shares pod i's): verify warns, repair swaps replicas
    /// until none shares its master's node.
    func repairRePairsReplicasOffTheirMastersNodes(server: FakeKubernetesAPIServer, environment: LocalTestEnvironment,
                                                   settings: GlobalSettings, password: String) async throws {
        var direct = settings
        direct.connect = .direct
        direct.timeout = .seconds(90)
        let report = try await environment.run(direct) { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        // Roles may have moved in the steps before (a failover): pair by Kubernetes node, whatever
        // the ordinals' roles are now.
        let kubernetesNode = { (pod: String) in pod.split(separator: "-").last.flatMap { Int($0) }.map { $0 % 3 } }
        var unpaired = report.nodes.filter { $0.role == "replica" }
        var repaired = 0
        for master in report.nodes where master.role == "master" && master.slots > 0 {
            guard let masterId = master.id,
                  let index = unpaired.firstIndex(where: { kubernetesNode($0.name) == kubernetesNode(master.name) }) else { continue }
            let replica = unpaired.remove(at: index)
            repaired += 1
            guard replica.masterId != masterId else { continue }
            let connection = try await RedisConnection.connect(to: try #require(RedisEndpoint(parsing: replica.address)),
                                                               options: .init(password: password))
            _ = try await connection.send(RedisCommand("CLUSTER", "REPLICATE", masterId))
            await connection.close()
        }
        try #require(repaired > 0, "no replica shares a node with a master: \(report.nodes.map { "\($0.name):\($0.role ?? "")" })")
        try await poll("the re-paired replicas to sync", until: .after(.seconds(60))) { () async throws -> PollOutcome<Void> in
            let now = try await environment.run(direct) { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
            let placement = now.check(named: "replica-placement")
            // A master may be left without a replica by the moves above: that is for repair too.
            let synced = now.check(named: "replicas")?.message.contains("link down") == false
                && now.check(named: "cluster-state")?.status == .pass && now.check(named: "slots-covered")?.status == .pass
            return synced && placement?.message.contains("Kubernetes node") == true ? .done(()) : .notYet("\(String(describing: placement))")
        }

        let repair = await environment.run(direct) { try await RepairCommand().run($0) }
        #expect(repair.status == 0, "repair: \(repair.stdout.suffix(1500)) \(repair.stderr.suffix(800))")
        let result = try repair.result(RepairResult.self)
        #expect(!result.steps.isEmpty && result.steps.allSatisfy { $0.step == "replicate" }, "\(result.text)")
        print("repair of replica placement: \(result.steps.map(\.description))")
        let placement = result.verify?.check(named: "replica-placement")
        #expect(placement?.message.contains("Kubernetes node") == false, "no replica shares its master's node: \(String(describing: placement))")
        #expect(result.verify?.healthy == true, "\(result.text)")
    }

    /// One budget per shard, selecting exactly the pods of a master and its replica as verify saw them.
    func expectShardBudgets(server: FakeKubernetesAPIServer, name: String, report: HealthReport) throws {
        let budgets = server.objects("poddisruptionbudgets", namespace: "redis-system")
        #expect(budgets.count == 3, "\(budgets.compactMap { $0["metadata"]["name"].string })")
        let shards = Set(report.nodes.filter { $0.role == "master" }.map { master in
            Set([master.name] + report.nodes.filter { $0.masterId == master.id }.map(\.name))
        })
        let selected = Set(budgets.map { budget in
            Set((budget["spec"]["selector"]["matchExpressions"].array?.first?["values"].array ?? []).compactMap(\.string))
        })
        #expect(selected == shards, "budgets \(selected) for shards \(shards)")
        for budget in budgets {
            #expect(budget["spec"]["maxUnavailable"].int == 1)
            #expect(budget["metadata"]["name"].string?.hasPrefix("\(name)-shard-") == true)
        }
    }

    /// A new maxmemory changes the pod template; deploy rolls it out by lowering the StatefulSet's
    /// partition one pod at a time, masters failing over first, while a writer keeps going.
    func changedSpecRollsOnePodAtATime(server: FakeKubernetesAPIServer, environment: LocalTestEnvironment,
                                       settings: GlobalSettings) async throws {
        let revisionBefore = server.object("statefulsets", namespace: "redis-system", name: environment.name)?["status"]["updateRevision"].string
        let secret = try #require(server.objects("secrets", namespace: "redis-system").first {
            $0["metadata"]["name"].string?.hasSuffix("-auth") == true || $0["data"]["password"].string != nil
        })
        let password = try #require(secret["data"]["password"].string.flatMap { Data(base64Encoded: $0) }
            .flatMap { String(data: $0, encoding: .utf8) })
        var slow = settings
        slow.timeout = .seconds(240)
        try await RollingRestartScenario(environment: environment, settings: slow, password: password, seeds: {
            server.objects("pods", namespace: "redis-system").compactMap { pod in
                pod["status"]["podIP"].string.map { RedisEndpoint(host: $0, port: 6379) }
            }
        }).deploy(spec: "redis: {clusterNodeTimeoutMs: 2000, maxmemory: 5gb}")

        let statefulSet = try #require(server.object("statefulsets", namespace: "redis-system", name: environment.name))
        let revision = statefulSet["status"]["updateRevision"].string
        #expect(revision != revisionBefore)
        #expect(statefulSet["status"]["currentRevision"].string == revision, "the rollout completed")
        #expect(statefulSet["spec"]["updateStrategy"]["rollingUpdate"]["partition"].int == 6,
                "the partition guards the pods again")
        let pods = server.objects("pods", namespace: "redis-system")
        #expect(pods.count == 6 && pods.allSatisfy { $0["metadata"]["labels"]["controller-revision-hash"].string == revision })
    }

    /// rotate-password through port-forward: the app user's Secret holds both passwords until
    /// --finish, every pod takes the new one live, and no pod restarts.
    func rotateAPassword(server: FakeKubernetesAPIServer, kubelet: FakeKubelet, environment: LocalTestEnvironment,
                         settings: GlobalSettings) async throws {
        func secretValue(_ name: String, _ key: String) -> String? {
            server.object("secrets", namespace: "redis-system", name: name)?["data"][key].string
                .flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        let pids = kubelet.runningPIDs
        let oldApp = try #require(secretValue("redis-auth-app", "password"))
        var rotating = settings
        rotating.user = "app"
        let start = await environment.run(rotating) { try await RotatePasswordCommand().run($0) }
        try #require(start.status == 0, "rotate-password --user app: \(start.stderr)")
        let newApp = try #require(secretValue("redis-auth-app", "password"))
        #expect(newApp != oldApp && secretValue("redis-auth-app", "previous-password") == oldApp)
        let ips = server.objects("pods", namespace: "redis-system").compactMap { $0["status"]["podIP"].string }
        func logsIn(_ password: String) async -> Bool {
            var all = true
            for ip in ips {
                let connection = try? await RedisConnection.connect(to: RedisEndpoint(host: ip, port: 6379),
                                                                    options: .init(user: "app", password: password))
                if let connection { await connection.close() } else { all = false }
            }
            return all
        }
        #expect(await logsIn(oldApp), "the old password is refused before --finish")
        #expect(await logsIn(newApp))
        let finish = await environment.run(rotating) { try await RotatePasswordCommand(finish: true).run($0) }
        try #require(finish.status == 0, "rotate-password --user app --finish: \(finish.stderr)")
        #expect(secretValue("redis-auth-app", "previous-password") == nil)
        let oldStillLogsIn = await logsIn(oldApp)
        #expect(!oldStillLogsIn)
        #expect(await logsIn(newApp))
        let auth = try #require(secretValue("redis-auth-config", "auth.conf"))
        #expect(auth.contains(RedisConfigBuilder.passwordHash(newApp)) && !auth.contains(RedisConfigBuilder.passwordHash(oldApp)))
        #expect(kubelet.runningPIDs == pids, "a pod restarted")
    }
}
