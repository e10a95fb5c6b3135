import ClusterOps
import Foundation
import Platforms
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// A master paused (SIGSTOP) under `backup` and `restore`: each either completes (from another
/// node) or stops within its --timeout with a one-line error naming the node and nothing half
/// done (restore --flush empties nothing); after SIGCONT the same command completes.
@Suite(.serialized) struct PausedMasterBackupRestoreTests {
    static let keys = 3_000
    static let timeout: Duration = .seconds(4)
    /// Work after the deadline: closing connections, reporting.
    static let margin: Duration = .seconds(6)

    @Test func backupAndRestoreWithAPausedMaster() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-paused-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // A node timeout far above --timeout: no failover rescues the commands while the master sleeps.
        try await LocalTestEnvironment.withCluster(spec: "redis: {clusterNodeTimeoutMs: 60000, save: [], appendonly: false}") { environment in
            let deploy = await environment.run { try await DeployCommand().run($0) }
            try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
            let (seeds, password) = try await ScaleLocalTests.access(environment)
            let client = ClusterTestClient(seeds: seeds, password: password)
            try await client.fill(count: Self.keys, prefix: "paused:", valueSize: 64)
            await client.close()
            let master = try #require(try await LiveCluster(environment: environment, password: password).twoMasters().0)
            let ordinal = try #require(Int(master.name.split(separator: "-").last ?? ""))
            let pid = try #require(environment.pid(ofPod: ordinal))
            let bounded = environment.settings(timeout: Self.timeout)

            // backup: a paused master is left out only if its replica can stand in; else a clear stop.
            kill(pid, SIGSTOP)
            var started = ContinuousClock.now
            let pausedBackup = await environment.run(bounded) { try await BackupCommand(to: scratch).run($0) }
            var elapsed = ContinuousClock.now - started
            kill(pid, SIGCONT)
            print("paused master: backup exit \(pausedBackup.status) after \(elapsed): "
                  + "\(pausedBackup.stderr.split(separator: "\n").last { $0.hasPrefix("error:") } ?? "completed")")
            #expect(elapsed < Self.timeout + Self.margin, "backup took \(elapsed) with --timeout \(Self.timeout)")
            if pausedBackup.status == 0 {
                #expect(try pausedBackup.result(BackupResult.self).totalKeys == Int64(Self.keys))
            } else {
                try expectOneLineNaming(master, in: pausedBackup.stderr)
            }
            let backup = await environment.run { try await BackupCommand(to: scratch).run($0) }
            #expect(backup.status == 0, "backup after SIGCONT: \(backup.stderr)")
            #expect(try backup.result(BackupResult.self).totalKeys == Int64(Self.keys))

            // restore --flush: stops before flushing anything.
            kill(pid, SIGSTOP)
            started = ContinuousClock.now
            let pausedRestore = await environment.run(environment.settings(timeout: Self.timeout, yes: true)) {
                try await RestoreCommand(from: scratch, flush: true).run($0)
            }
            elapsed = ContinuousClock.now - started
            kill(pid, SIGCONT)
            print("paused master: restore exit \(pausedRestore.status) after \(elapsed): "
                  + "\(pausedRestore.stderr.split(separator: "\n").last { $0.hasPrefix("error:") } ?? "completed")")
            #expect(elapsed < Self.timeout + Self.margin, "restore took \(elapsed) with --timeout \(Self.timeout)")
            #expect(pausedRestore.status == 1, "\(pausedRestore.stderr)")
            try expectOneLineNaming(master, in: pausedRestore.stderr)
            #expect(pausedRestore.stderr.contains("Nothing was written or flushed"), "\(pausedRestore.stderr)")
            let counter = ClusterTestClient(seeds: seeds, password: password)
            #expect(try await counter.totalKeys() == Self.keys, "nothing was flushed")

            let restore = await environment.run(environment.settings(yes: true)) { try await RestoreCommand(from: scratch, flush: true).run($0) }
            #expect(restore.status == 0, "restore after SIGCONT: \(restore.stderr)")
            #expect(try await counter.totalKeys() == Self.keys)
            await counter.close()
        }
    }

    /// The command's last line is one error that names the node by name or address.
    func expectOneLineNaming(_ node: LiveCluster.Node, in stderr: String) throws {
        let last = try #require(stderr.split(separator: "\n").last { $0.hasPrefix("error:") })
        #expect(last.contains(node.name) || last.contains(node.endpoint.description), "the error names \(node.name): \(last)")
    }
}
