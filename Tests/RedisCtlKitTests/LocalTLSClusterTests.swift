import Bench
import Foundation
import Platforms
import RESP
import RedisCtlCore
import Spec
import Testing
import TestSupport
@testable import RedisCtlKit

/// A local cluster with `tls.enabled`: its own CA and node certificates, the plain port closed, and
/// every command (deploy, verify, scale, backup, restore, benchmark) over TLS. One cluster, shared
/// by the steps, which build on each other.
@Suite(.serialized) struct LocalTLSClusterTests {
    static let spec = """
        tls: {enabled: true}
        redis: {clusterNodeTimeoutMs: 5000}
        """

    @Test func everyCommandSpeaksTLS() async throws {
        try await LocalTestEnvironment.withCluster(spec: Self.spec) { environment in
            let deploy = await environment.run { try await DeployCommand().run($0) }
            try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
            #expect(try deploy.result(DeployResult.self).verify?.healthy == true)
            try filesAreOwnerOnly(environment)
            try await plainPortIsClosed(environment)
            try await independentClientOverTLS(environment)
            try await scaleUnderTLSWriters(environment)
            try await backupAndRestore(environment)
            try await benchmark(environment)
            try await switchingTLSOffIsRefused(environment)
        }
    }

    /// The platform's way in: the cluster's CA, the pods dialled by address.
    static func access(_ environment: LocalTestEnvironment) async throws -> (seeds: [RedisEndpoint], password: String, dialer: any RedisDialer) {
        let platform = environment.localPlatform
        var spec = DeploymentSpec()
        spec.tls.enabled = true
        let trust = try #require(try await platform.nodeTrust(for: spec))
        return (try await platform.pods().map(\.endpoint), try await platform.password(),
                TLSDialer(wrapping: TCPDialer(), tls: try trust.redisTLS()))
    }

    func filesAreOwnerOnly(_ environment: LocalTestEnvironment) throws {
        let tls = environment.clusterDirectory.appendingPathComponent("tls")
        let pod = environment.clusterDirectory.appendingPathComponent("pods/\(environment.name)-0/tls")
        for file in [tls.appendingPathComponent("ca.key"), pod.appendingPathComponent("tls.key"), pod.appendingPathComponent("tls.crt")] {
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file.path): \(String(mode ?? 0, radix: 8))")
        }
        let config = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("pods/\(environment.name)-0/redis.conf"),
                                encoding: .utf8)
        for line in ["port 0", "tls-port 6379", "tls-replication yes", "tls-cluster yes"] {
            #expect(config.contains("\n\(line)\n"), "redis.conf lacks \(line)")
        }
    }

    func plainPortIsClosed(_ environment: LocalTestEnvironment) async throws {
        let (seeds, password, dialer) = try await Self.access(environment)
        for seed in seeds {
            // Plain RESP to the TLS port: the node drops it.
            let plain = try? await RedisConnection.connect(
                to: seed, options: .init(password: password, connectTimeout: .seconds(2), commandTimeout: .seconds(2)))
            #expect(plain == nil, "\(seed) answered plain RESP")
            if let plain { await plain.close() }
            let encrypted = try await RedisConnection.connect(to: seed, options: .init(password: password), dialer: dialer)
            #expect(try await encrypted.send("PING").string == "PONG")
            let replication = try await encrypted.send(RedisCommand("INFO", "replication")).string ?? ""
            if replication.contains("role:slave") { #expect(replication.contains("master_link_status:up"), "\(seed): \(replication)") }
            await encrypted.close()
        }
    }

    /// `redis-cli --tls`, given what `connection -o env --show-password` prints.
    func independentClientOverTLS(_ environment: LocalTestEnvironment) async throws {
        let connection = await environment.run(environment.settings(output: .json)) {
            try await ConnectionCommand(showPassword: true).run($0)
        }
        let result = try connection.result(ConnectionResult.self)
        #expect(result.tls && result.connectionString.hasPrefix("rediss://"), "\(result.connectionString)")
        let variables = result.environment
        #expect(variables["REDIS_TLS"] == "true")
        let ca = try #require(variables["REDIS_CACERT"])
        let host = try #require(variables["REDIS_HOST"]), port = try #require(variables["REDIS_PORT"])
        var cliEnvironment = ProcessInfo.processInfo.environment
        cliEnvironment["REDISCLI_AUTH"] = variables["REDIS_PASSWORD"]
        for key in ["{a}k", "{b}k", "{c}k"] {
            let (status, output) = try runProgram("/usr/bin/redis-cli",
                ["--tls", "--cacert", ca, "-c", "-h", host, "-p", port, "SET", key, "over-tls"], environment: cliEnvironment)
            #expect(status == 0 && output.contains("OK"), "SET \(key): \(output)")
        }
        let (_, plain) = try runProgram("/usr/bin/redis-cli", ["-h", host, "-p", port, "PING"], environment: cliEnvironment)
        #expect(!plain.contains("PONG"), "plain redis-cli: \(plain)")
    }

    /// 3 -> 4 -> 3 masters while TLS writers keep writing: MIGRATE rides the cluster's TLS.
    func scaleUnderTLSWriters(_ environment: LocalTestEnvironment) async throws {
        let (seeds, password, dialer) = try await Self.access(environment)
        let filler = ClusterTestClient(seeds: seeds, password: password, dialer: dialer)
        try await filler.fill(count: 3_000, prefix: "preload:", valueSize: 64)
        await filler.close()
        let writers = AcknowledgedWriters(count: 2, seeds: seeds, password: password, dialer: dialer)
        writers.start()
        do {
            let grow = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(masters: 4).run($0) }
            #expect(grow.status == 0, "scale to 4: \(grow.stderr)")
            #expect(try grow.result(ScaleResult.self).healthy == true)
            #expect(try await environment.localPlatform.pods().count == 8)
            let shrink = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(masters: 3).run($0) }
            #expect(shrink.status == 0, "scale to 3: \(shrink.stderr)")
            #expect(try shrink.result(ScaleResult.self).healthy == true)
        } catch {
            await writers.stop()
            throw error
        }
        await writers.stop()
        #expect(writers.acknowledgedWrites > 100)
        let reader = ClusterTestClient(seeds: try await environment.localPlatform.pods().map(\.endpoint), password: password, dialer: dialer)
        let lost = try await writers.check(using: reader)
        await reader.close()
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")
        #expect(writers.failures.isEmpty, "\(writers.failures.prefix(3))")
    }

    func backupAndRestore(_ environment: LocalTestEnvironment) async throws {
        let directory = environment.stateDirectory.appendingPathComponent("backups").path
        let backup = await environment.run { try await BackupCommand(to: directory).run($0) }
        #expect(backup.status == 0, "backup over TLS: \(backup.stderr)")
        let summary = try backup.result(BackupResult.self)
        #expect(summary.shards.count == 3 && (summary.totalKeys ?? 0) >= 3_000, "\(summary.shards)")
        let restore = await environment.run(environment.settings(yes: true)) {
            try await RedisCtlKit.RestoreCommand(from: directory, flush: true).run($0)
        }
        #expect(restore.status == 0, "restore over TLS: \(restore.stderr)")
        #expect(try restore.result(RestoreResult.self).countsMatch)
        let (seeds, password, dialer) = try await Self.access(environment)
        let client = ClusterTestClient(seeds: seeds, password: password, dialer: dialer)
        #expect(try await client.totalKeys() == Int(summary.totalKeys ?? -1))
        await client.close()
    }

    func benchmark(_ environment: LocalTestEnvironment) async throws {
        var request = BenchmarkRequest()
        request.clients = 8
        request.requests = 4_000
        request.threads = 1
        request.tests = "set,get"
        let run = await environment.run { try await BenchmarkCommand(request: request, output: .json).run($0) }
        #expect(run.status == 0, "benchmark over TLS: \(run.stderr)")
        let tests = try #require(try run.json()["tests"] as? [[String: Any]])
        #expect(tests.count == 2)
        #expect(tests.allSatisfy { ($0["errors"] as? [String: Any])?.isEmpty == true }, "\(tests)")
    }

    /// Nodes that speak TLS beside nodes that do not would split the cluster: refused, nothing restarted.
    func switchingTLSOffIsRefused(_ environment: LocalTestEnvironment) async throws {
        let before = (0..<6).compactMap(environment.pid(ofPod:))
        try environment.rewriteSpec("redis: {clusterNodeTimeoutMs: 5000}")
        let deploy = await environment.run { try await DeployCommand().run($0) }
        #expect(deploy.status == 2, "\(deploy.stderr)")
        #expect(deploy.stderr.contains("spec.tls.enabled cannot change on a running cluster"), "\(deploy.stderr)")
        #expect((0..<6).compactMap(environment.pid(ofPod:)) == before)
        try environment.rewriteSpec(Self.spec)
        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify over TLS: \(verify.stderr)")
    }
}
