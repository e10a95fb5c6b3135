import Foundation
import Platforms
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// A `redisctl scale` process killed with SIGKILL in the middle of moving slots leaves open slots;
/// running scale again finishes them from the cluster's own state, and no key is lost.
@Suite(.serialized) struct ScaleKillTests {
    static let keys = 60_000

    @Test func killedScaleResumesToACompleteCluster() async throws {
        let environment = try LocalTestEnvironment(spec: """
            replicasPerMaster: 0
            disruption: {minAvailable: 2}
            redis: {clusterNodeTimeoutMs: 5000}
            """)
        do {
            try await killAndResume(environment)
        } catch {
            await environment.tearDown()
            throw error
        }
        await environment.tearDown()
    }

    func killAndResume(_ environment: LocalTestEnvironment) async throws {
        let binary = try redisctlExecutable()
        let deploy = await environment.run { try await DeployCommand().run($0) }
        try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
        let (seeds, password) = try await ScaleLocalTests.access(environment)
        let client = ClusterTestClient(seeds: seeds, password: password)
        try await client.fill(count: Self.keys, prefix: "k:", valueSize: 100)
        #expect(try await client.totalKeys() == Self.keys)

        let process = Process()
        process.executableURL = binary
        process.arguments = ["scale", "--masters", "4", "--platform", "local", "--state-dir", environment.stateDirectory.path,
                             "--config", environment.configPath, "--timeout", "2m", "-o", "json"]
        process.environment = environment.environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        defer { if isAlive(pid) { kill(pid, SIGKILL) } }

        // Kill it mid-migration: once a slot is open (MIGRATING on a source), stop the process, let
        // the servers apply what it had already sent, and kill it only if a slot is still open (it
        // may have closed its last one between the look and the stop; then it runs on).
        let platform = LocalPlatform(clusterName: environment.name, stateRoot: environment.stateDirectory)
        try await poll("scale to open a slot", until: .after(.seconds(90)), initialInterval: .milliseconds(5),
                       maxInterval: .milliseconds(5)) { () async throws -> PollOutcome<Void> in
            guard isAlive(pid) else { throw GeneralFailure(.operationFailed, "scale ended before it could be killed") }
            guard try await Self.openSlots(platform, password: password) > 0 else { return .notYet("no slot open yet") }
            kill(pid, SIGSTOP)
            try await Task.sleep(for: .milliseconds(300))
            if try await Self.openSlots(platform, password: password) > 0 { return .done(()) }
            kill(pid, SIGCONT)
            return .notYet("the open slots closed before the scale was stopped")
        }
        kill(pid, SIGKILL)
        // Gone, or a zombie waiting to be reaped: either way it runs no more.
        try await poll("the killed scale to exit", until: .after(.seconds(10))) {
            isAlive(pid) ? .notYet("still running") : .done(())
        }
        #expect(try await Self.openSlots(platform, password: password) > 0, "the kill left no slot open")

        let resumed = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(masters: 4).run($0) }
        #expect(resumed.status == 0, "scale again: \(resumed.stdout) \(resumed.stderr)")
        let json = try resumed.json()
        #expect(json["healthy"] as? Bool == true)
        #expect((json["openSlots"] as? [String] ?? []).count > 0, "the re-run found nothing to close")
        #expect(try await Self.openSlots(platform, password: password) == 0)
        try await ScaleLocalTests.expectShape(environment, masters: 4, pods: 4)
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
    static func openSlots(_ platform: LocalPlatform, password: String) async throws -> Int {
        var open = 0
        for pod in try await platform.pods() where pod.ready {
            guard let connection = try? await RedisConnection.connect(to: pod.endpoint, options: .init(password: password)) else { continue }
            let nodes = (try? await connection.send(RedisCommand("CLUSTER", "NODES")).string) ?? ""
            await connection.close()
            let myself = nodes.split(separator: "\n").first { $0.contains("myself") } ?? ""
            open += myself.split(separator: " ").filter { $0.hasPrefix("[") }.count
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
