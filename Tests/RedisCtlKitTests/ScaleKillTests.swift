import ClusterOps
import Foundation
import PlatformLocal
import Platforms
import RedisCtlCore
import RESP
import Testing
import TestSupport
@testable import RedisCtlKit

/// A `redisctl scale` process killed with SIGKILL in the middle of moving slots leaves open slots;
/// running scale again finishes them from the cluster's own state, and no key is lost.
@Suite(.serialized) struct ScaleKillTests {
    static let keys = 60_000

    @Test func killedScaleResumesToACompleteCluster() async throws {
        try await LocalTestEnvironment.withCluster(spec: """
            replicasPerMaster: 0
            disruption: {minAvailable: 2}
            redis: {clusterNodeTimeoutMs: 5000}
            """, killAndResume)
    }

    func killAndResume(_ environment: LocalTestEnvironment) async throws {
        let binary = try redisctlExecutable()
        let deploy = await environment.run { try await DeployCommand().run($0) }
        try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
        let (seeds, password) = try await ScaleLocalTests.access(environment)
        let client = ClusterTestClient(seeds: seeds, password: password)
        try await client.fill(count: Self.keys, prefix: "k:", valueSize: 100)
        #expect(try await client.totalKeys() == Self.keys)

        // Kill a scale process while a slot is open (MIGRATING on a source), i.e. mid-migration, and
        // after the new master already owns some slots: the same four masters then hold uneven
        // shares. Should the slot close all the same, the next scale process (which resumes the
        // move) is killed the same way, a few times at most.
        let platform = environment.localPlatform
        for _ in 0..<5 {
            try await startAndKillMidMigration(binary: binary, environment: environment, platform: platform, password: password)
            if try await Self.openSlots(platform, password: password) > 0 { break }
        }
        #expect(try await Self.openSlots(platform, password: password) > 0, "the kill left no slot open")

        let resumed = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(masters: 4).run($0) }
        #expect(resumed.status == 0, "scale again: \(resumed.stdout) \(resumed.stderr)")
        let result = try resumed.result(ScaleResult.self)
        #expect(result.healthy == true)
        #expect(!result.openSlots.isEmpty, "the re-run found nothing to close")
        #expect(try await Self.openSlots(platform, password: password) == 0)
        try await ScaleLocalTests.expectShape(environment, masters: 4, pods: 4)
        // The re-run finished the even layout: 16384 / 4 slots each (regression test: it used to stop
        // at the uneven shares the kill left, as the masters were the same four).
        let shares = try await Self.slotShares(seeds[0], password: password)
        #expect(shares.sorted() == [4096, 4096, 4096, 4096], "slot shares after the re-run: \(shares)")
        #expect(try await client.totalKeys() == Self.keys, "keys were lost")
        for index in stride(from: 0, to: Self.keys, by: 7) {
            let key = "k:\(index)"
            if try await client.send(key: key, RedisCommand("GET", key)).string?.count != 100 {
                Issue.record("\(key) is missing after the resumed scale")
                break
            }
        }
        await client.close()
        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify: \(verify.stdout)")
    }

    /// Slots some master has marked MIGRATING or IMPORTING.
    /// Starts `redisctl scale --masters 4` and SIGKILLs it as soon as a slot is open. The nodes are
    /// paused first (`CLIENT PAUSE`), so commands the process had already sent, which would close
    /// the slot, are never run: it dies with the slot open.
    func startAndKillMidMigration(binary: URL, environment: LocalTestEnvironment, platform: LocalPlatform, password: String) async throws {
        var watchers: [RedisConnection] = []
        for pod in try await platform.pods() where pod.ready {
            watchers.append(try await RedisConnection.connect(to: pod.endpoint, options: .init(password: password)))
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["scale", "--masters", "4", "--platform", "local", "--state-dir", environment.stateDirectory.path,
                             "--config", environment.configPath, "--timeout", "2m", "-o", "json"]
        process.environment = environment.environment
        process.standardOutput = FileHandle.nullDevice
        let stderrFile = environment.stateDirectory.appendingPathComponent("scale-kill-\(UUID().uuidString).stderr")
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        let stderr = try FileHandle(forWritingTo: stderrFile)
        defer {
            try? stderr.close()
            try? FileManager.default.removeItem(at: stderrFile)
        }
        process.standardError = stderr
        try process.run()
        let pid = process.processIdentifier
        defer { if isAlive(pid) { kill(pid, SIGKILL) } }
        let watching = watchers
        try await poll("scale to open a slot", until: .after(.seconds(90)), initialInterval: .milliseconds(2),
                       maxInterval: .milliseconds(2)) { () async throws -> PollOutcome<Void> in
            guard isAlive(pid) else {
                let said = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
                throw GeneralFailure(.operationFailed, "scale ended before it could be killed; it said: \(said.suffix(600))")
            }
            var open = false
            var owners = 0
            for connection in watching {
                let nodes = try await connection.send("CLUSTER", "NODES").string ?? ""
                open = open || Self.openSlots(in: nodes) > 0
                owners = max(owners, Self.mastersOwningSlots(in: nodes))
            }
            return open && owners >= 4 ? .done(()) : .notYet("no slot open while the new master owns slots")
        }
        await withTaskGroup(of: Void.self) { group in
            for connection in watching { group.addTask { _ = try? await connection.send("CLIENT", "PAUSE", "1000", "ALL") } }
        }
        kill(pid, SIGKILL)
        // Gone, or a zombie waiting to be reaped: either way it runs no more.
        try await poll("the killed scale to exit", until: .after(.seconds(10))) {
            isAlive(pid) ? .notYet("still running") : .done(())
        }
        for connection in watching { await connection.close() }
    }

    /// Open slots (`[slot->-node]` or `[slot-<-node]`) on the `myself` line of CLUSTER NODES.
    static func openSlots(in nodes: String) -> Int {
        let myself = nodes.split(separator: "\n").first { $0.contains("myself") } ?? ""
        return myself.split(separator: " ").filter { $0.hasPrefix("[") }.count
    }

    /// Masters that own at least one slot, as one node's CLUSTER NODES lists them.
    static func mastersOwningSlots(in nodes: String) -> Int {
        nodes.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 8 && fields[2].contains("master") && fields[8...].contains { !$0.hasPrefix("[") }
        }.count
    }

    /// How many slots each master owns, as `seed` sees the cluster.
    static func slotShares(_ seed: RedisEndpoint, password: String) async throws -> [Int] {
        let connection = try await RedisConnection.connect(to: seed, options: .init(password: password))
        let nodes = try await connection.send(RedisCommand("CLUSTER", "NODES")).string ?? ""
        await connection.close()
        return try ClusterTopology.parse(nodes).masters.map { SlotRange.count(of: $0.slots) }.filter { $0 > 0 }
    }

    static func openSlots(_ platform: LocalPlatform, password: String) async throws -> Int {
        var open = 0
        for pod in try await platform.pods() where pod.ready {
            guard let connection = try? await RedisConnection.connect(to: pod.endpoint, options: .init(password: password)) else { continue }
            let nodes = (try? await connection.send(RedisCommand("CLUSTER", "NODES")).string) ?? ""
            await connection.close()
            open += openSlots(in: nodes)
        }
        return open
    }
}

/// The `redisctl` executable built next to the test bundle (`swift build --build-tests` builds both).
func redisctlExecutable() throws -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("redisctl")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw GeneralFailure(.cannotRun, "no redisctl executable next to the tests (\(CommandLine.arguments[0])); run swift build first")
}
