import Bench
import Foundation
import NIOCore
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
            try await rotateCertificatesUnderWriters(environment)
            try await aRotationCutShortIsFinishedByTheNextRun(environment)
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
                ["--tls", "--cacert", ca, "-c", "--user", try #require(variables["REDIS_USERNAME"]), "-h", host, "-p", port,
                 "SET", key, "over-tls"], environment: cliEnvironment)
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
    /// Renewal, then a whole CA rotation, while writers keep writing: no request fails, no process
    /// restarts, no replica resynchronises, and at the end every node serves a certificate of the new
    /// CA, which clients trusting only the old one refuse.
    func rotateCertificatesUnderWriters(_ environment: LocalTestEnvironment) async throws {
        let (seeds, password, dialer) = try await Self.access(environment)
        let caFile = environment.clusterDirectory.appendingPathComponent("tls/ca.crt").path
        let oldCA = try String(contentsOfFile: caFile, encoding: .utf8)
        let before = try await Self.processesAndSyncs(seeds, password: password, dialer: dialer)
        let writers = AcknowledgedWriters(count: 2, seeds: seeds, password: password, dialer: FollowingTrustDialer(serverName: nil) {
            try String(contentsOfFile: caFile, encoding: .utf8)
        },
                                          prefix: "rotation:")
        var served: [[String]] = []
        try await writers.running {
            for step in [CertificateRotationStep.renew, .newAuthority, .finish] {
                let run = await environment.run(environment.settings(output: .json)) { try await RotateCertsCommand(step: step).run($0) }
                try #require(run.status == 0, "rotate-certs \(step): \(run.stderr)")
                served.append(try run.result(RotateCertsResult.self).nodes.map(\.certificate))
                if step == .newAuthority {
                    #expect(try String(contentsOfFile: caFile, encoding: .utf8).components(separatedBy: "BEGIN CERTIFICATE").count == 3,
                            "ca.crt does not hold both CAs during the rotation")
                }
            }
        }
        #expect(writers.acknowledgedWrites > 100)
        #expect(writers.failures.isEmpty, "\(writers.failures.prefix(3))")
        let (_, _, newDialer) = try await Self.access(environment)
        let reader = ClusterTestClient(seeds: seeds, password: password, dialer: newDialer)
        let lost = try await writers.check(using: reader)
        await reader.close()
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")
        // renew and finish gave every node a new certificate; new-ca kept them.
        #expect(served.count == 3 && Set(served[0]).isDisjoint(with: served[2]) && served[1] == served[0], "\(served)")
        let after = try await Self.processesAndSyncs(seeds, password: password, dialer: newDialer)
        #expect(after == before, "process ids or replica resyncs changed: \(before) -> \(after)")
        #expect(try String(contentsOfFile: caFile, encoding: .utf8) != oldCA)
        try await Self.expectRefused(seeds, trusting: oldCA, serverName: nil, password: password)
        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify after the rotation: \(verify.stdout)")
    }

    /// `--finish` killed right after it moved the new CA's key into place: the next `--finish` reads
    /// that state back as the same rotation and ends it.
    func aRotationCutShortIsFinishedByTheNextRun(_ environment: LocalTestEnvironment) async throws {
        let tls = environment.clusterDirectory.appendingPathComponent("tls")
        let begin = await environment.run { try await RotateCertsCommand(step: .newAuthority).run($0) }
        try #require(begin.status == 0, "rotate-certs --new-ca: \(begin.stderr)")
        #expect(rename(tls.appendingPathComponent("next-ca.key").path, tls.appendingPathComponent("ca.key").path) == 0)
        let finish = await environment.run { try await RotateCertsCommand(step: .finish).run($0) }
        #expect(finish.status == 0, "rotate-certs --finish after a cut-short run: \(finish.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: tls.path).sorted()
        #expect(left == ["ca.crt", "ca.key"], "\(left)")
        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify: \(verify.stdout)")
    }

    /// Clients trusting only `ca` cannot connect: no node serves a certificate it signed.
    static func expectRefused(_ seeds: [RedisEndpoint], trusting ca: String, serverName: String?, password: String) async throws {
        let trust = try #require(RedisTLS(trustingPEM: ca, serverName: serverName))
        for seed in seeds {
            let refused = try? await RedisConnection.connect(
                to: seed, options: .init(password: password, connectTimeout: .seconds(2)), dialer: TLSDialer(wrapping: TCPDialer(), tls: trust))
            #expect(refused == nil, "\(seed) still serves a certificate of the old CA")
            if let refused { await refused.close() }
        }
    }

    /// Each node's process id and how many replica syncs it served (a dropped link would add one).
    static func processesAndSyncs(_ seeds: [RedisEndpoint], password: String, dialer: any RedisDialer) async throws -> [String] {
        var seen: [String] = []
        for seed in seeds {
            let connection = try await RedisConnection.connect(to: seed, options: .init(password: password), dialer: dialer)
            let server = try await connection.send(RedisCommand("INFO", "server")).string ?? ""
            let stats = try await connection.send(RedisCommand("INFO", "stats")).string ?? ""
            await connection.close()
            let fields = (server + stats).split(whereSeparator: \.isNewline).filter {
                $0.hasPrefix("process_id:") || $0.hasPrefix("sync_full:") || $0.hasPrefix("sync_partial_ok:")
            }
            seen.append("\(seed) " + fields.joined(separator: " "))
        }
        return seen
    }

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

/// TLS trusting what `trustedPEM` returns at each connect, as a client that follows a rotated bundle
/// (a re-read CA file, a re-read Secret).
struct FollowingTrustDialer: RedisDialer {
    let serverName: String?
    let trustedPEM: @Sendable () throws -> String

    func dial(_ endpoint: RedisEndpoint, connectTimeout: Duration, eventLoopGroup: any EventLoopGroup,
              configure: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) async throws -> any Channel {
        guard let tls = RedisTLS(trustingPEM: try trustedPEM(), serverName: serverName) else {
            throw RedisError(.connectFailed("the trusted CAs hold no certificate"), endpoint: endpoint)
        }
        return try await TLSDialer(wrapping: TCPDialer(), tls: tls)
            .dial(endpoint, connectTimeout: connectTimeout, eventLoopGroup: eventLoopGroup, configure: configure)
    }
}
