import Foundation
import RESP
import RedisCtlCore
import Spec
import Testing
import TestSupport
@testable import RedisCtlKit

/// The ACL users on a local cluster: each one can do its job and nothing more, the files hold no
/// password but the replication user's, and the users survive a restart and follow the spec live.
@Suite(.serialized) struct AccessControlTests {
    static let spec = "redis: {clusterNodeTimeoutMs: 3000}"

    @Test func everyUserHoldsOnlyWhatItsJobNeeds() async throws {
        try await LocalTestEnvironment.withCluster(spec: Self.spec) { environment in
            let deploy = await environment.run { try await DeployCommand().run($0) }
            try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
            let passwords = try await environment.localPlatform.userPasswords(for: try #require(try await environment.localPlatform.deployedSpec()))
            #expect(Set(passwords.keys) == ["app", "exporter", "replication", "backup"])
            try filesHoldHashes(environment, passwords: passwords)
            try await applicationUser(environment, password: try #require(passwords["app"]?.current))
            try await exporterUser(environment, password: try #require(passwords["exporter"]?.current))
            try await backupUser(environment, password: try #require(passwords["backup"]?.current))
            try await replicasUseTheReplicationUser(environment)
            try await rotatePasswordsUnderLoad(environment, passwords: passwords)
            try await usersSurviveARestart(environment, passwords: passwords)
            try await aChangedSpecReachesTheRunningNodes(environment)
        }
    }

    /// The admin's options as they are now (rotate-password changes the password).
    var adminOptions: (LocalTestEnvironment) async throws -> RedisConnectionOptions {
        { RedisConnectionOptions(password: try await $0.localPlatform.password()) }
    }

    func filesHoldHashes(_ environment: LocalTestEnvironment, passwords: [String: UserPasswords]) throws {
        let auth = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("auth.conf"), encoding: .utf8)
        for (name, password) in passwords where name != "replication" {
            #expect(!auth.contains(password.current), "auth.conf holds \(name)'s password")
            #expect(auth.contains("#" + RedisConfigBuilder.passwordHash(password.current)), "auth.conf lacks \(name)'s hash")
        }
        for file in ["auth.conf", "users/app", "users/exporter", "users/replication", "users/backup"] {
            let mode = try FileManager.default.attributesOfItem(atPath: environment.clusterDirectory.appendingPathComponent(file).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }
        let redisConf = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("pods/\(environment.name)-0/redis.conf"), encoding: .utf8)
        for password in passwords.values { #expect(!redisConf.contains(password.current)) }
    }

    /// Data commands yes, administration no.
    func applicationUser(_ environment: LocalTestEnvironment, password: String) async throws {
        let seeds = try await environment.localPlatform.pods().map(\.endpoint)
        let client = ClusterTestClient(seeds: seeds, password: password, user: "app")
        _ = try await client.send(key: "{a}app", RedisCommand("SET", "{a}app", "1"))
        #expect(try await client.send(key: "{a}app", RedisCommand("GET", "{a}app")).string == "1")
        await client.close()
        let connection = try await RedisConnection.connect(to: seeds[0], options: .init(user: "app", password: password))
        for command in [RedisCommand("FLUSHALL"), RedisCommand("CONFIG", "SET", "maxmemory", "1"), RedisCommand("KEYS", "*"),
                        RedisCommand("CLUSTER", "RESET")] {
            await #expect(throws: RedisError.self, "app may run \(command.name)") { _ = try await connection.send(command) }
        }
        await connection.close()
    }

    /// redis_exporter itself, logged in as the exporter user, scrapes a node without an error;
    /// the user cannot write or flush.
    func exporterUser(_ environment: LocalTestEnvironment, password: String) async throws {
        let node = try #require(try await environment.localPlatform.pods().first).endpoint
        let connection = try await RedisConnection.connect(to: node, options: .init(user: "exporter", password: password))
        for command in [RedisCommand("FLUSHALL"), RedisCommand("SET", "k", "v"), RedisCommand("CONFIG", "SET", "maxmemory", "1"),
                        RedisCommand("CLIENT", "KILL", "ID", "1")] {
            await #expect(throws: RedisError.self, "exporter may run \(command.name)") { _ = try await connection.send(command) }
        }
        await connection.close()

        let exporter = try #require(["/usr/bin/prometheus-redis-exporter", "/usr/local/bin/redis_exporter"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }, "scripts/setup.sh installs prometheus-redis-exporter")
        let listen = try MotoServerProcess.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exporter)
        process.arguments = ["--redis.addr", "redis://\(node)", "--redis.user", "exporter", "--web.listen-address", "127.0.0.1:\(listen)"]
        var exporterEnvironment = ProcessInfo.processInfo.environment
        exporterEnvironment["REDIS_PASSWORD"] = password
        process.environment = exporterEnvironment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let metrics = try await poll("the exporter to answer", until: .after(.seconds(20))) { () async -> PollOutcome<String> in
            guard let url = URL(string: "http://127.0.0.1:\(listen)/metrics"),
                  let text = try? String(contentsOf: url, encoding: .utf8),
                  text.contains("redis_up") else { return .notYet("no metrics yet") }
            return .done(text)
        }
        #expect(metrics.contains("\nredis_up 1\n"), "redis_up is not 1")
        #expect(metrics.contains("redis_exporter_last_scrape_error{err=\"\"} 0"),
                "\(metrics.split(separator: "\n").filter { $0.contains("scrape_error") })")
        #expect(metrics.contains("redis_cluster_state 1"))
    }

    /// backup as the backup user: the topology and the full syncs, and no key read.
    func backupUser(_ environment: LocalTestEnvironment, password: String) async throws {
        var settings = environment.settings()
        settings.user = "backup"
        let target = environment.stateDirectory.appendingPathComponent("backups").path
        let backup = await environment.run(settings, extraEnvironment: ["REDISCTL_PASSWORD": password]) {
            try await BackupCommand(to: target).run($0)
        }
        #expect(backup.status == 0, "backup as the backup user: \(backup.stderr)")
        let node = try #require(try await environment.localPlatform.pods().first).endpoint
        let connection = try await RedisConnection.connect(to: node, options: .init(user: "backup", password: password))
        for command in [RedisCommand("GET", "{a}app"), RedisCommand("FLUSHALL"), RedisCommand("SET", "k", "v")] {
            await #expect(throws: RedisError.self, "backup may run \(command.name)") { _ = try await connection.send(command) }
        }
        await connection.close()
    }

    func replicasUseTheReplicationUser(_ environment: LocalTestEnvironment) async throws {
        let options = try await adminOptions(environment)
        for pod in try await environment.localPlatform.pods() {
            let connection = try await RedisConnection.connect(to: pod.endpoint, options: options)
            let replication = try await connection.send(RedisCommand("INFO", "replication")).string ?? ""
            let user = try await connection.send(RedisCommand("CONFIG", "GET", "masteruser")).map?.first?.value.string
            await connection.close()
            #expect(user == "replication", "\(pod.name): masteruser \(user ?? "none")")
            if replication.contains("role:slave") { #expect(replication.contains("master_link_status:up"), "\(pod.name)") }
        }
    }

    /// The app, replication and admin passwords rotated while writers logged in with the old app
    /// password keep writing: no write fails, the old password logs in until --finish and not after,
    /// no process restarts, no replica resynchronises.
    func rotatePasswordsUnderLoad(_ environment: LocalTestEnvironment, passwords: [String: UserPasswords]) async throws {
        let platform = environment.localPlatform
        let seeds = try await platform.pods().map(\.endpoint)
        let oldApp = try #require(passwords["app"]?.current)
        let oldAdmin = try await platform.password()
        let before = try await LocalTLSClusterTests.processesAndSyncs(seeds, password: oldAdmin, dialer: TCPDialer())
        func rotate(_ user: String, finish: Bool = false) async throws {
            var settings = environment.settings()
            settings.user = user
            let run = await environment.run(settings) { try await RotatePasswordCommand(finish: finish).run($0) }
            try #require(run.status == 0, "rotate-password --user \(user)\(finish ? " --finish" : ""): \(run.stderr)")
        }
        func logsIn(_ user: String, _ password: String) async -> Bool {
            guard let connection = try? await RedisConnection.connect(to: seeds[0], options: .init(user: user, password: password)) else {
                return false
            }
            await connection.close()
            return true
        }
        let writers = AcknowledgedWriters(count: 2, seeds: seeds, password: oldApp, user: "app", prefix: "passwords:")
        try await writers.running {
            try await rotate("app")
            try await rotate("replication")
            try await rotate("replication", finish: true)
            try await rotate("default")
            let deployed = try #require(try await platform.deployedSpec())
            let newApp = try await platform.userPasswords(for: deployed)["app"]?.current
            #expect(newApp != nil && newApp != oldApp)
            #expect(await logsIn("app", oldApp), "the old app password is refused before --finish")
            #expect(await logsIn("app", newApp ?? ""))
            let rotatedAdmin = try await platform.password()
            #expect(await logsIn("default", oldAdmin))
            #expect(await logsIn("default", rotatedAdmin))
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(writers.acknowledgedWrites > 100)
        #expect(writers.failures.isEmpty, "\(writers.failures.prefix(3))")
        try await rotate("app", finish: true)
        try await rotate("default", finish: true)
        let newAdmin = try await platform.password()
        let deployed = try #require(try await platform.deployedSpec())
        let newApp = try #require(try await platform.userPasswords(for: deployed)["app"]?.current)
        let oldAppLogsIn = await logsIn("app", oldApp), oldAdminLogsIn = await logsIn("default", oldAdmin)
        #expect(!oldAppLogsIn, "the old app password still logs in after --finish")
        #expect(!oldAdminLogsIn, "the old admin password still logs in after --finish")
        #expect(await logsIn("app", newApp))
        #expect(await logsIn("default", newAdmin))
        let reader = ClusterTestClient(seeds: seeds, password: newApp, user: "app")
        let lost = try await writers.check(using: reader)
        await reader.close()
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")
        let processes = try await LocalTLSClusterTests.processesAndSyncs(seeds, password: newAdmin, dialer: TCPDialer())
        #expect(processes == before, "process ids or replica resyncs changed: \(before) -> \(processes)")
        let auth = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("auth.conf"), encoding: .utf8)
        #expect(!auth.contains(RedisConfigBuilder.passwordHash(oldApp)), "auth.conf still lets the old app password in")

        // --grace: a run within it gives the rotation again, the first run after it ends it.
        var backupSettings = environment.settings()
        backupSettings.user = "backup"
        let oldBackup = try #require(try await platform.userPasswords(for: deployed)["backup"]?.current)
        let graced = await environment.run(backupSettings) { try await RotatePasswordCommand(grace: .seconds(3600)).run($0) }
        #expect(graced.status == 0 && (try? graced.result(RotatePasswordResult.self).oldPasswordUntil) != nil, "\(graced.stderr)")
        let within = await environment.run(backupSettings) { try await RotatePasswordCommand().run($0) }
        #expect((try? within.result(RotatePasswordResult.self).outcome) == .underWay, "\(within.stdout) \(within.stderr)")
        #expect(await logsIn("backup", oldBackup))
        // The hour passes: the kept end of the grace is in the past.
        let until = environment.clusterDirectory.appendingPathComponent("users/backup.previous-until")
        #expect(FileManager.default.fileExists(atPath: until.path))
        try (ISO8601DateFormatter().string(from: Date().addingTimeInterval(-1)) + "\n").write(to: until, atomically: true, encoding: .utf8)
        let after = await environment.run(backupSettings) { try await RotatePasswordCommand().run($0) }
        #expect((try? after.result(RotatePasswordResult.self).outcome) == .finished, "\(after.stdout) \(after.stderr)")
        let oldBackupLogsIn = await logsIn("backup", oldBackup)
        #expect(!oldBackupLogsIn, "the old backup password still logs in after the grace")
        #expect(!FileManager.default.fileExists(atPath: environment.clusterDirectory.appendingPathComponent("users/app.previous").path))
    }

    /// A replica killed and started again by deploy: its users come from auth.conf, and it
    /// authenticates to its master as the replication user.
    func usersSurviveARestart(_ environment: LocalTestEnvironment, passwords: [String: UserPasswords]) async throws {
        let verify = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let replica = try #require(verify.nodes.first { $0.role == "replica" })
        let ordinal = try #require(Int(replica.name.split(separator: "-").last ?? ""))
        let pid = try #require(environment.pid(ofPod: ordinal))
        kill(pid, SIGKILL)
        _ = try await poll("\(replica.name) to exit", until: .after(.seconds(10))) { isAlive(pid) ? .notYet("alive") : .done(()) }
        let deploy = await environment.run { try await DeployCommand().run($0) }
        #expect(deploy.status == 0, "deploy after the kill: \(deploy.stderr)")
        let endpoint = try #require(RedisEndpoint(parsing: replica.address))
        let connection = try await RedisConnection.connect(
            to: endpoint, options: .init(user: "exporter", password: try #require(passwords["exporter"]?.current)))
        #expect(try await connection.send(RedisCommand("PING")).string == "PONG")
        await connection.close()
        let admin = try await RedisConnection.connect(to: endpoint, options: try await adminOptions(environment))
        let info = try await poll("\(replica.name) to sync again", until: .after(.seconds(30))) { () async throws -> PollOutcome<String> in
            let text = try await admin.send(RedisCommand("INFO", "replication")).string ?? ""
            return text.contains("master_link_status:up") ? .done(text) : .notYet("link down")
        }
        await admin.close()
        #expect(info.contains("role:slave"))
    }

    /// A user added to the spec and the app user's rules narrowed: deploy gives both to the
    /// running nodes, with no restart.
    func aChangedSpecReachesTheRunningNodes(_ environment: LocalTestEnvironment) async throws {
        let pids = (0..<6).compactMap(environment.pid(ofPod:))
        try environment.rewriteSpec(Self.spec + """

            auth:
              users:
                - {name: app, rules: "~app:* +@read +@write +@connection -@dangerous"}
                - {name: reports, rules: "~report:* +get +ping"}
            """)
        let deploy = await environment.run { try await DeployCommand().run($0) }
        #expect(deploy.status == 0, "deploy with users: \(deploy.stderr)")
        #expect((0..<6).compactMap(environment.pid(ofPod:)) == pids, "a process was restarted")
        let deployment = try #require(try await environment.localPlatform.deployedSpec())
        let passwords = try await environment.localPlatform.userPasswords(for: deployment)
        let reports = try #require(passwords["reports"]?.current)
        let app = try #require(passwords["app"]?.current)
        for pod in try await environment.localPlatform.pods() {
            let connection = try await RedisConnection.connect(to: pod.endpoint, options: .init(user: "reports", password: reports))
            #expect(try await connection.send("PING").string == "PONG")
            await #expect(throws: RedisError.self) { _ = try await connection.send(RedisCommand("SET", "report:1", "x")) }
            await connection.close()
            let appConnection = try await RedisConnection.connect(to: pod.endpoint, options: .init(user: "app", password: app))
            // A key outside app:* is refused before any slot check.
            await #expect(throws: RedisError.self) { _ = try await appConnection.send(RedisCommand("GET", "other")) }
            await appConnection.close()
        }
        try environment.rewriteSpec(Self.spec + "\nauth:\n  users:\n    - {name: x, rules: \">secret +@all\"}")
        let refused = await environment.run { try await DeployCommand().run($0) }
        #expect(refused.status == 2 && refused.stderr.contains("spec.auth.users[0].rules"), "\(refused.stderr)")
    }
}

