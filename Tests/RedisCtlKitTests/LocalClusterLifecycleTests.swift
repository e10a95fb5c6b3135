import Bench
import Foundation
import RESP
import Testing
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
        let environment = try LocalTestEnvironment(spec: Self.spec)
        do {
            try await deployAndRedeploy(environment)
            try await wrongPasswordIsRefusedByEveryCommand(environment)
            try await independentClient(environment)
            try await deadReplicaIsReportedAndRestarted(environment)
            try await failedOverMasterIsReported(environment)
            try await changedConfigRollsOnePodAtATime(environment)
            try await destroyStopsExactlyItsProcesses(environment)
        } catch {
            await environment.tearDown()
            throw error
        }
        await environment.tearDown()
    }

    func deployAndRedeploy(_ environment: LocalTestEnvironment) async throws {
        let first = await environment.run { try await DeployCommand().run($0) }
        #expect(first.status == 0, "deploy failed: \(first.stderr)")
        let report = try first.json()
        #expect(report["healthy"] as? Bool == true)
        #expect(report["init"] as? String == "formed")
        #expect(report["changed"] as? Bool == true)

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
        let again = try second.json()
        #expect(again["changed"] as? Bool == false)
        #expect(again["init"] as? String == "already-initialized")

        let initAgain = await environment.run { try await InitClusterCommand().run($0) }
        #expect(initAgain.status == 0)
        #expect(try initAgain.json()["status"] as? String == "already-initialized")

        let verify = await environment.run { try await VerifyCommand(writeTest: true).run($0) }
        #expect(verify.status == 0, "verify: \(verify.stdout) \(verify.stderr)")
        let json = try verify.json()
        #expect(json["healthy"] as? Bool == true)
        let checks = json["checks"] as? [[String: Any]] ?? []
        #expect(checks.contains { $0["name"] as? String == "slots-covered" && $0["status"] as? String == "pass" })
        #expect(checks.contains { $0["name"] as? String == "write-test" && $0["status"] as? String == "pass" })
        #expect(checks.contains { $0["name"] as? String == "auth-required" && $0["status"] as? String == "pass" })
        let nodes = json["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count == 6)
        #expect(nodes.filter { $0["role"] as? String == "master" }.count == 3)
        #expect(nodes.filter { $0["role"] as? String == "master" }.map { $0["slots"] as? Int ?? 0 }.reduce(0, +) == 16384)

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
        #expect(variables["REDIS_CLUSTER_MODE"] == "true")

        let masked = await environment.run(environment.settings(output: .text)) { try await ConnectionCommand().run($0) }
        #expect(!masked.stdout.contains(password))
        #expect(masked.stdout.contains("redis://:********@\(host):\(port)"))

        var cliEnvironment = ProcessInfo.processInfo.environment
        cliEnvironment["REDISCLI_AUTH"] = password
        // Keys landing in each master's range: {a} slot 15495, {b} 3300, {c} 7365.
        for key in ["{a}k", "{b}k", "{c}k", "plain-key"] {
            let (setStatus, setOutput) = try runProgram("/usr/bin/redis-cli",
                ["-c", "-h", host, "-p", port, "SET", key, "value-\(key)"], environment: cliEnvironment)
            #expect(setStatus == 0 && setOutput.contains("OK"), "SET \(key): \(setOutput)")
            let (_, getOutput) = try runProgram("/usr/bin/redis-cli",
                ["-c", "-h", host, "-p", port, "GET", key], environment: cliEnvironment)
            #expect(getOutput.contains("value-\(key)"), "GET \(key): \(getOutput)")
        }
        var noAuthEnvironment = ProcessInfo.processInfo.environment
        noAuthEnvironment.removeValue(forKey: "REDISCLI_AUTH")
        let (_, refused) = try runProgram("/usr/bin/redis-cli", ["-h", host, "-p", port, "GET", "{a}k"],
                                          environment: noAuthEnvironment)
        #expect(refused.contains("NOAUTH"), "without the password: \(refused)")
    }

    func deadReplicaIsReportedAndRestarted(_ environment: LocalTestEnvironment) async throws {
        let before = try await environment.run { try await VerifyCommand().run($0) }.json()
        let nodes = before["nodes"] as? [[String: Any]] ?? []
        let replica = try #require(nodes.first { $0["role"] as? String == "replica" })
        let replicaName = try #require(replica["name"] as? String)
        let ordinal = try #require(Int(replicaName.split(separator: "-").last ?? ""))
        let pid = try #require(environment.pid(ofPod: ordinal))
        kill(pid, SIGKILL)

        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 1)
        let json = try verify.json()
        #expect(json["healthy"] as? Bool == false)
        let failed = (json["checks"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "fail" }
        #expect(failed.contains { ($0["message"] as? String ?? "").contains(replicaName) }, "\(failed)")

        // deploy starts the dead process again on its address and data; it rejoins.
        let redeploy = await environment.run { try await DeployCommand().run($0) }
        #expect(redeploy.status == 0, "re-deploy after a dead replica: \(redeploy.stdout) \(redeploy.stderr)")
        #expect(environment.pid(ofPod: ordinal).map(isAlive) == true)
    }

    func failedOverMasterIsReported(_ environment: LocalTestEnvironment) async throws {
        let before = try await environment.run { try await VerifyCommand().run($0) }.json()
        let nodes = before["nodes"] as? [[String: Any]] ?? []
        let master = try #require(nodes.first { $0["role"] as? String == "master" })
        let masterName = try #require(master["name"] as? String)
        let masterId = try #require(master["id"] as? String)
        let replicaName = try #require(nodes.first { $0["masterId"] as? String == masterId }?["name"] as? String)
        let ordinal = try #require(Int(masterName.split(separator: "-").last ?? ""))
        let pid = try #require(environment.pid(ofPod: ordinal))
        kill(pid, SIGKILL)

        // Wait (bounded) until the cluster has promoted the replica; verify must then say so.
        var promoted: [String: Any]? = nil
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            let run = await environment.run { try await VerifyCommand().run($0) }
            let json = try run.json()
            let nodes = json["nodes"] as? [[String: Any]] ?? []
            if let node = nodes.first(where: { $0["name"] as? String == replicaName }),
               node["role"] as? String == "master", (node["slots"] as? Int ?? 0) > 0 {
                #expect(run.status == 1, "the dead master must fail verify")
                let checks = json["checks"] as? [[String: Any]] ?? []
                let failing = checks.filter { $0["status"] as? String == "fail" }
                #expect(failing.contains { ($0["message"] as? String ?? "").contains(masterName) }, "\(failing)")
                promoted = node
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(promoted != nil, "\(replicaName) was not reported as the promoted master")

        let redeploy = await environment.run { try await DeployCommand().run($0) }
        #expect(redeploy.status == 0, "re-deploy after failover: \(redeploy.stdout) \(redeploy.stderr)")
        let after = try await environment.run { try await VerifyCommand().run($0) }.json()
        let oldMaster = (after["nodes"] as? [[String: Any]] ?? []).first { $0["name"] as? String == masterName }
        #expect(oldMaster?["role"] as? String == "replica", "the restarted master rejoins as a replica")
    }

    /// A new maxmemory reaches every node through restarts, one pod at a time: masters hand their
    /// slots to a replica first and take them back, so a writer running throughout loses nothing.
    func changedConfigRollsOnePodAtATime(_ environment: LocalTestEnvironment) async throws {
        let before = try await environment.run { try await VerifyCommand().run($0) }.json()
        let mastersBefore = Set((before["nodes"] as? [[String: Any]] ?? [])
            .filter { $0["role"] as? String == "master" }.compactMap { $0["name"] as? String })
        #expect(mastersBefore.count == 3)
        let pidsBefore = (0..<6).compactMap(environment.pid(ofPod:))

        try environment.rewriteSpec("redis: {clusterNodeTimeoutMs: 1500, maxmemory: 5gb}")
        let password = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("password"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let connection = try await environment.run { try await ConnectionCommand().run($0) }.json()
        let pods = (connection["nodes"] as? [String] ?? []).compactMap(RedisEndpoint.init(parsing:))
        #expect(pods.count == 6)
        let writer = ClusterTrafficWriter(prefix: "rolling", password: password, seeds: { pods })
        await writer.start()
        try await Task.sleep(for: .milliseconds(300))
        let deploy = await environment.run(environment.settings(timeout: .seconds(180))) { try await DeployCommand().run($0) }
        let summary = await writer.stop()
        #expect(deploy.status == 0, "deploy with a new maxmemory: \(deploy.stdout) \(deploy.stderr)")
        let report = try deploy.json()
        #expect(report["changed"] as? Bool == true)
        #expect(report["restarted"] as? [String] == (0..<6).reversed().map { "\(environment.name)-\($0)" })
        #expect(report["healthy"] as? Bool == true)

        let pidsAfter = (0..<6).compactMap(environment.pid(ofPod:))
        #expect(Set(pidsAfter).isDisjoint(with: pidsBefore), "every process was restarted")
        for pod in pods {
            let connection = try await RedisConnection.connect(to: pod, options: RedisConnectionOptions(password: password))
            let maxmemory = try await connection.send(RedisCommand("CONFIG", "GET", "maxmemory")).array?.last?.string
            await connection.close()
            #expect(maxmemory == String(Int64(5) << 30), "\(pod): maxmemory \(maxmemory ?? "nil")")
        }
        let after = try await environment.run { try await VerifyCommand().run($0) }.json()
        let mastersAfter = Set((after["nodes"] as? [[String: Any]] ?? [])
            .filter { $0["role"] as? String == "master" }.compactMap { $0["name"] as? String })
        #expect(mastersAfter == mastersBefore, "masters took their role back after their restart")

        #expect(summary.acknowledged.count > 50, "the writer ran throughout (\(summary.acknowledged.count) writes)")
        #expect(summary.failures.isEmpty, "writes failed during the rolling restart: \(summary.failures.prefix(3))")
        // A node just restarted may answer CLUSTERDOWN until it has heard from its peers; the
        // writer then asks another node. What matters is that no write failed or was lost.
        let lost = await writer.missingOrWrong()
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")

        let again = await environment.run { try await DeployCommand().run($0) }
        #expect(try again.json()["changed"] as? Bool == false, "a second deploy restarts nothing")
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
