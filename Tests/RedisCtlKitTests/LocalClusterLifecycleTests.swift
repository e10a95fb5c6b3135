import Bench
import ClusterOps
import Foundation
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// One local cluster, taken through its whole life in order: deploy, re-deploy, verify, an
/// independent client, a dead replica, a failed-over master, destroy. Sharing one cluster keeps the
/// suite fast; the steps depend on each other, so they run in one test.
@Suite(.serialized) struct LocalClusterLifecycleTests {
    /// A short node timeout so failover happens within seconds; everything else is the seed's spec.
    static let spec = """
    redis: {clusterNodeTimeoutMs: 1500}
    """

    @Test func lifecycle() async throws {
        try await LocalTestEnvironment.withCluster(spec: Self.spec) { environment in
            try await deployAndRedeploy(environment)
            try await wrongPasswordIsRefusedByEveryCommand(environment)
            try await independentClient(environment)
            try await deadReplicaIsReportedAndRestarted(environment)
            try await failedOverMasterIsReported(environment)
            try await changedConfigRollsOnePodAtATime(environment)
            try await everyProcessKilledThenDeployHeals(environment)
            try await destroyStopsExactlyItsProcesses(environment)
        }
    }

    func deployAndRedeploy(_ environment: LocalTestEnvironment) async throws {
        let first = await environment.run { try await DeployCommand().run($0) }
        #expect(first.status == 0, "deploy failed: \(first.stderr)")
        let report = try first.result(DeployResult.self)
        #expect(report.verify?.healthy == true)
        #expect(report.initStatus == "formed")
        #expect(report.changed)

        // The password: 32 characters, readable by its owner only.
        let passwordFile = environment.clusterDirectory.appendingPathComponent("password").path
        let attributes = try FileManager.default.attributesOfItem(atPath: passwordFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 32)
        // It never reaches stdout or stderr.
        #expect(!first.stdout.contains(password) && !first.stderr.contains(password))

        let second = await environment.run { try await DeployCommand().run($0) }
        #expect(second.status == 0, "re-deploy failed: \(second.stderr)")
        let again = try second.result(DeployResult.self)
        #expect(again.changed == false)
        #expect(again.initStatus == "already-initialized")

        let initAgain = await environment.run { try await InitClusterCommand().run($0) }
        #expect(initAgain.status == 0)
        #expect(try initAgain.result(InitClusterResult.self).status == .alreadyInitialized)

        let verify = await environment.run { try await VerifyCommand(writeTest: true).run($0) }
        #expect(verify.status == 0, "verify: \(verify.stdout) \(verify.stderr)")
        let health = try verify.result(VerifyResult.self).report
        #expect(health.healthy)
        for check in ["slots-covered", "write-test", "auth-required"] {
            #expect(health.check(named: check)?.status == .pass, "\(check): \(String(describing: health.check(named: check)))")
        }
        #expect(health.nodes.count == 6)
        #expect(health.nodes.filter { $0.role == "master" }.count == 3)
        #expect(health.nodes.filter { $0.role == "master" }.map(\.slots).reduce(0, +) == 16384)

        let text = await environment.run(environment.settings(output: .text)) { try await VerifyCommand().run($0) }
        #expect(text.status == 0)
        #expect(text.stdout.contains("slots-covered") && text.stdout.contains("is healthy"))
    }

    /// Regression test (`scale` exited 1): a password the nodes refuse is exit 2 for every command
    /// that talks to them, naming the refusal, and changes nothing.
    func wrongPasswordIsRefusedByEveryCommand(_ environment: LocalTestEnvironment) async throws {
        let scratch = environment.stateDirectory.appendingPathComponent("wrong-password-backup").path
        let commands: [(String, @Sendable (CommandContext) async throws -> Int32)] = [
            ("verify", { try await VerifyCommand().run($0) }),
            ("scale", { try await ScaleCommand(masters: 3).run($0) }),
            ("init-cluster", { try await InitClusterCommand().run($0) }),
            ("backup", { try await BackupCommand(to: scratch).run($0) }),
            ("benchmark", {
                var request = BenchmarkRequest()
                request.requests = 10
                request.clients = 2
                return try await BenchmarkCommand(request: request).run($0)
            }),
        ]
        for (name, command) in commands {
            let run = await environment.run(extraEnvironment: ["REDISCTL_PASSWORD": "not-the-password"], command)
            #expect(run.status == 2, "\(name) with a wrong password: exit \(run.status): \(run.stderr)")
            #expect(run.stderr.lowercased().contains("authentication") || run.stderr.contains("WRONGPASS"), "\(name): \(run.stderr)")
        }
        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "the cluster changed: \(verify.stdout)")
    }

    /// `redis-cli -c`, given what `connection -o env --show-password` prints, reaches every slot range.
    func independentClient(_ environment: LocalTestEnvironment) async throws {
        let connection = await environment.run(environment.settings(output: .env)) {
            try await ConnectionCommand(showPassword: true).run($0)
        }
        #expect(connection.status == 0)
        var variables: [String: String] = [:]
        for line in connection.stdout.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            variables[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        let host = try #require(variables["REDIS_HOST"])
        let port = try #require(variables["REDIS_PORT"])
        let password = try #require(variables["REDIS_PASSWORD"])
        let user = try #require(variables["REDIS_USERNAME"])
        #expect(user == "app", "applications connect as the application user")
        #expect(variables["REDIS_CLUSTER_MODE"] == "true")

        let masked = await environment.run(environment.settings(output: .text)) { try await ConnectionCommand().run($0) }
        #expect(!masked.stdout.contains(password))
        #expect(masked.stdout.contains("redis://app:********@\(host):\(port)"))

        var cliEnvironment = ProcessInfo.processInfo.environment
        cliEnvironment["REDISCLI_AUTH"] = password
        // Keys landing in each master's range: {a} slot 15495, {b} 3300, {c} 7365.
        for key in ["{a}k", "{b}k", "{c}k", "plain-key"] {
            let (setStatus, setOutput) = try runProgram("/usr/bin/redis-cli",
                ["-c", "--user", user, "-h", host, "-p", port, "SET", key, "value-\(key)"], environment: cliEnvironment)
            #expect(setStatus == 0 && setOutput.contains("OK"), "SET \(key): \(setOutput)")
            let (_, getOutput) = try runProgram("/usr/bin/redis-cli",
                ["-c", "--user", user, "-h", host, "-p", port, "GET", key], environment: cliEnvironment)
            #expect(getOutput.contains("value-\(key)"), "GET \(key): \(getOutput)")
        }
        var noAuthEnvironment = ProcessInfo.processInfo.environment
        noAuthEnvironment.removeValue(forKey: "REDISCLI_AUTH")
        let (_, refused) = try runProgram("/usr/bin/redis-cli", ["-h", host, "-p", port, "GET", "{a}k"],
                                          environment: noAuthEnvironment)
        #expect(refused.contains("NOAUTH"), "without the password: \(refused)")
    }

    func deadReplicaIsReportedAndRestarted(_ environment: LocalTestEnvironment) async throws {
        let before = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let replicaName = try #require(before.nodes.first { $0.role == "replica" }?.name)
        let ordinal = try #require(Int(replicaName.split(separator: "-").last ?? ""))
        let pid = try #require(environment.pid(ofPod: ordinal))
        kill(pid, SIGKILL)

        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 1)
        let health = try verify.result(VerifyResult.self).report
        #expect(!health.healthy)
        let failed = health.checks.filter { $0.status == .fail }
        #expect(failed.contains { $0.message.contains(replicaName) }, "\(failed)")

        // deploy starts the dead process again on its address and data; it rejoins.
        let redeploy = await environment.run { try await DeployCommand().run($0) }
        #expect(redeploy.status == 0, "re-deploy after a dead replica: \(redeploy.stdout) \(redeploy.stderr)")
        #expect(environment.pid(ofPod: ordinal).map(isAlive) == true)
    }

    func failedOverMasterIsReported(_ environment: LocalTestEnvironment) async throws {
        let before = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let master = try #require(before.nodes.first { $0.role == "master" })
        let masterName = master.name
        let masterId = try #require(master.id)
        let replicaName = try #require(before.nodes.first { $0.masterId == masterId }?.name)
        let ordinal = try #require(Int(masterName.split(separator: "-").last ?? ""))
        let pid = try #require(environment.pid(ofPod: ordinal))
        kill(pid, SIGKILL)

        // Wait (bounded) until the cluster has promoted the replica; verify must then say so.
        var promoted: NodeReport? = nil
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            let run = await environment.run { try await VerifyCommand().run($0) }
            let health = try run.result(VerifyResult.self).report
            if let node = health.nodes.first(where: { $0.name == replicaName }), node.role == "master", node.slots > 0 {
                #expect(run.status == 1, "the dead master must fail verify")
                let failing = health.checks.filter { $0.status == .fail }
                #expect(failing.contains { $0.message.contains(masterName) }, "\(failing)")
                promoted = node
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(promoted != nil, "\(replicaName) was not reported as the promoted master")

        let redeploy = await environment.run { try await DeployCommand().run($0) }
        #expect(redeploy.status == 0, "re-deploy after failover: \(redeploy.stdout) \(redeploy.stderr)")
        let after = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let oldMaster = after.nodes.first { $0.name == masterName }
        #expect(oldMaster?.role == "replica", "the restarted master rejoins as a replica")
    }

    /// A new maxmemory reaches every node through restarts, one pod at a time: masters hand their
    /// slots to a replica first and take them back, so a writer running throughout loses nothing.
    func changedConfigRollsOnePodAtATime(_ environment: LocalTestEnvironment) async throws {
        let before = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let mastersBefore = Set(before.nodes.filter { $0.role == "master" }.map(\.name))
        #expect(mastersBefore.count == 3)
        let pidsBefore = (0..<6).compactMap(environment.pid(ofPod:))

        let password = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("password"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let connection = try await environment.run { try await ConnectionCommand().run($0) }.result(ConnectionResult.self)
        let pods = connection.nodes.compactMap(RedisEndpoint.init(parsing:))
        #expect(pods.count == 6)
        try await RollingRestartScenario(environment: environment, settings: environment.settings(timeout: .seconds(180)),
                                         password: password, seeds: { pods })
            .deploy(spec: "redis: {clusterNodeTimeoutMs: 1500, maxmemory: 5gb}")

        let pidsAfter = (0..<6).compactMap(environment.pid(ofPod:))
        #expect(Set(pidsAfter).isDisjoint(with: pidsBefore), "every process was restarted")
        for pod in pods {
            let connection = try await RedisConnection.connect(to: pod, options: RedisConnectionOptions(password: password))
            let maxmemory = try await connection.send(RedisCommand("CONFIG", "GET", "maxmemory")).array?.last?.string
            await connection.close()
            #expect(maxmemory == String(Int64(5) << 30), "\(pod): maxmemory \(maxmemory ?? "nil")")
        }
        let after = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let mastersAfter = Set(after.nodes.filter { $0.role == "master" }.map(\.name))
        #expect(mastersAfter == mastersBefore, "masters took their role back after their restart")
    }

    /// The local platform's full restart: every process killed at once (SIGKILL), then `deploy`:
    /// the same node ids on the same slots, every key kept, and a healthy verify.
    func everyProcessKilledThenDeployHeals(_ environment: LocalTestEnvironment) async throws {
        let before = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let password = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("password"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let seeds = before.nodes.compactMap { RedisEndpoint(parsing: $0.address) }
        let writer = ClusterTestClient(seeds: seeds, password: password)
        try await writer.fill(count: 200, prefix: "killed-all:", valueSize: 16)
        await writer.close()
        // appendfsync everysec: what was acknowledged is on disk a second later.
        try await Task.sleep(for: .seconds(2))

        let pids = (0..<6).compactMap(environment.pid(ofPod:))
        #expect(pids.count == 6)
        for pid in pids { kill(pid, SIGKILL) }
        try await poll("the killed processes to be gone", until: .after(.seconds(10))) {
            pids.allSatisfy { !isAlive($0) } ? .done(()) : .notYet("some still run")
        }

        let redeploy = await environment.run { try await DeployCommand().run($0) }
        #expect(redeploy.status == 0, "deploy after every process was killed: \(redeploy.stdout) \(redeploy.stderr)")
        let after = try redeploy.result(DeployResult.self)
        #expect(after.verify?.healthy == true)
        let identity = { (report: HealthReport) in
            Dictionary(uniqueKeysWithValues: report.nodes.map { ($0.name, "\($0.id ?? "?") \($0.slots)") })
        }
        #expect(after.verify.map(identity) == identity(before), "the same nodes on the same slots")

        let reader = ClusterTestClient(seeds: seeds, password: password)
        var missing = 0
        for index in 0..<200 where try await reader.send(key: "killed-all:\(index)", RedisCommand("GET", "killed-all:\(index)")).string == nil {
            missing += 1
        }
        await reader.close()
        #expect(missing == 0, "\(missing) of 200 keys lost")
    }

    func destroyStopsExactlyItsProcesses(_ environment: LocalTestEnvironment) async throws {
        let pids = (0..<6).compactMap(environment.pid(ofPod:))
        #expect(pids.count == 6)
        // A pid file naming another cluster's redis-server (a reused PID), and one naming nothing:
        // destroy stops the pods' own servers and leaves the other one alone.
        let other = try ForeignRedisServer.start()
        defer { other.stop() }
        let pods = environment.clusterDirectory.appendingPathComponent("pods")
        try "\(other.pid)\n".write(to: pods.appendingPathComponent("\(environment.name)-0/redis.pid"),
                                  atomically: true, encoding: .utf8)
        try "999999999\n".write(to: pods.appendingPathComponent("\(environment.name)-1/redis.pid"),
                               atomically: true, encoding: .utf8)
        let destroy = await environment.run { try await DestroyCommand().run($0) }
        #expect(destroy.status == 0, "\(destroy.stderr)")
        for pid in pids { #expect(!isAlive(pid), "process \(pid) still running after destroy") }
        #expect(isAlive(other.pid), "destroy stopped a redis-server that is not one of its pods")
        let data = environment.clusterDirectory.appendingPathComponent("pods/\(environment.name)-0/data").path
        #expect(FileManager.default.fileExists(atPath: data), "destroy without --delete-data keeps the data")

        // Deleting data needs a confirmation; without a terminal and without --yes it refuses.
        let refused = await environment.run { try await DestroyCommand(deleteData: true).run($0) }
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--yes"))
        let deleted = await environment.run(environment.settings(yes: true)) { try await DestroyCommand(deleteData: true).run($0) }
        #expect(deleted.status == 0)
        #expect(!FileManager.default.fileExists(atPath: environment.clusterDirectory.path))
    }
}
