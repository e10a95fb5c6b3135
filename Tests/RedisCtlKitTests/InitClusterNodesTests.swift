import Foundation
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// init-cluster against plain redis-server processes given with `--nodes`: pre-checks, dry run,
/// resuming a half-done init, and a cluster bus that cannot be reached.
@Suite struct InitClusterNodesTests {
    static let password = "init-cluster-test-password-0123456"

    static func startNodes(_ count: Int, extraConfig: [String] = []) async throws -> [RedisServerProcess] {
        try await RedisServerProcess.startMany(
            count: count,
            extraConfig: ["cluster-enabled yes", "cluster-node-timeout 2000", "enable-debug-command yes"] + extraConfig,
            password: password)
    }

    static func run(_ command: InitClusterCommand, nodes: [RedisServerProcess], timeout: Duration = .seconds(30),
                    environment given: LocalTestEnvironment? = nil) async throws -> CommandRun {
        let environment = try given ?? LocalTestEnvironment(spec: "")
        let owned = given.map { _ in false } ?? true
        defer { if owned { try? FileManager.default.removeItem(at: environment.stateDirectory) } }
        var settings = environment.settings(timeout: timeout, nodes: nodes.map(\.endpoint))
        settings.platform = .local
        return await environment.run(settings, extraEnvironment: ["REDISCTL_PASSWORD": password]) {
            try await command.run($0)
        }
    }

    /// cluster_slots_assigned and cluster_known_nodes of each node.
    static func clusterState(_ nodes: [RedisServerProcess]) async throws -> [(slots: Int, known: Int)] {
        var states: [(Int, Int)] = []
        for node in nodes {
            let connection = try await node.connect()
            let info = try await connection.send("CLUSTER", "INFO").string ?? ""
            await connection.close()
            func field(_ name: String) -> Int {
                info.split(whereSeparator: \.isNewline).first { $0.hasPrefix(name + ":") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? -1
            }
            states.append((field("cluster_slots_assigned"), field("cluster_known_nodes")))
        }
        return states
    }

    /// The parameters init-cluster changes while the cluster forms, as each node has them.
    static func formationConfig(_ nodes: [RedisServerProcess]) async throws -> [[String: String]] {
        var values: [[String: String]] = []
        for node in nodes {
            let connection = try await node.connect()
            var config: [String: String] = [:]
            for name in ["cluster-node-timeout", "repl-diskless-sync", "repl-diskless-sync-max-replicas"] {
                config[name] = try await connection.send("CONFIG", "GET", name).array?.last?.string
            }
            await connection.close()
            values.append(config)
        }
        return values
    }

    @Test func nodesGetTheirOwnSettingsBackAfterForming() async throws {
        let nodes = try await Self.startNodes(6, extraConfig: ["repl-diskless-sync no"])
        defer { nodes.forEach { $0.stop() } }
        let before = try await Self.formationConfig(nodes)
        #expect(before.allSatisfy { $0["repl-diskless-sync-max-replicas"] == "0" && $0["repl-diskless-sync"] == "no" })

        let run = try await Self.run(InitClusterCommand(masters: 3, replicasPerMaster: 1), nodes: nodes)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.result(InitClusterResult.self).status == .formed)
        #expect(!run.stderr.contains("cannot record"), "formed untuned: \(run.stderr)")
        #expect(try await Self.clusterState(nodes).allSatisfy { $0.slots == 16384 && $0.known == 6 })
        #expect(try await Self.formationConfig(nodes) == before)
    }

    /// SIGKILLed while the nodes carry the formation values (a 1 s node timeout among them), the
    /// next run puts every node's own values back from the formation record, also when it fails too.
    @Test func aKilledInitsSettingsArePutBackByTheNextRun() async throws {
        // The last node announces a cluster bus port where nothing listens: an init waits for the
        // nodes to agree, tuned, until it is killed (the first run) or times out (the second).
        var nodes = try await Self.startNodes(5)
        let deadPort = 23000 + Int.random(in: 0..<5000)
        nodes.append(try await RedisServerProcess.start(
            extraConfig: ["cluster-enabled yes", "cluster-node-timeout 2000", "cluster-announce-bus-port \(deadPort)"],
            password: Self.password))
        defer { nodes.forEach { $0.stop() } }
        let before = try await Self.formationConfig(nodes)
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let process = Process()
        process.executableURL = try redisctlExecutable()
        process.arguments = ["init-cluster", "--nodes", nodes.map(\.endpoint.description).joined(separator: ","),
                             "--state-dir", environment.stateDirectory.path, "--timeout", "30s", "-q"]
        process.environment = environment.environment.merging(["REDISCTL_PASSWORD": Self.password]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let pid = process.processIdentifier
        defer { if isAlive(pid) { kill(pid, SIGKILL) } }
        try await poll("init-cluster to set the formation values", until: .after(.seconds(30)),
                       initialInterval: .milliseconds(2), maxInterval: .milliseconds(5)) {
            guard isAlive(pid) else {
                let said = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw GeneralFailure(.operationFailed, "init-cluster ended before it was killed: \(said)")
            }
            let config = try await Self.formationConfig(nodes)
            return config.allSatisfy { $0["cluster-node-timeout"] == "1000" } ? .done(()) : .notYet("not set yet")
        }
        kill(pid, SIGKILL)
        process.waitUntilExit()
        let left = try await Self.formationConfig(nodes)
        #expect(left.allSatisfy { $0["cluster-node-timeout"] == "1000" }, "the kill came too late: \(left)")
        let records = environment.stateDirectory.appendingPathComponent("formation")
        #expect(try FileManager.default.contentsOfDirectory(atPath: records.path).count == 1)

        let run = try await Self.run(InitClusterCommand(masters: 3, replicasPerMaster: 1), nodes: nodes,
                                     timeout: .seconds(4), environment: environment)
        #expect(run.status == 1 && run.stderr.contains("timed out"), "\(run.stderr)")
        #expect(try await Self.formationConfig(nodes) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: records.path).isEmpty, "the record outlived the restore")
    }

    /// A damaged record is a one-line error (exit 2) before any node is changed.
    @Test func aDamagedFormationRecordChangesNothing() async throws {
        let nodes = try await Self.startNodes(3)
        defer { nodes.forEach { $0.stop() } }
        let before = try await Self.formationConfig(nodes)
        let environment = try LocalTestEnvironment(spec: "")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        var settings = environment.settings(nodes: nodes.map(\.endpoint))
        settings.platform = .local
        let context = CommandContext(settings: settings, console: CapturedOutput().console(),
                                     environment: environment.environment, workingDirectory: environment.stateDirectory.path)
        let target = try DeploymentTarget.resolve(context, nodes: .insteadOfPlatform)
        let record = try target.formationRecord(nodes: try await target.nodes())
        try FileManager.default.createDirectory(at: record.url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"127.0.0.1:1\": [{\"name\": 5}]".utf8).write(to: record.url)

        let run = try await Self.run(InitClusterCommand(masters: 3, replicasPerMaster: 0), nodes: nodes,
                                     environment: environment)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("formation record") && run.stderr.contains("damaged"), "\(run.stderr)")
        #expect(try await Self.clusterState(nodes).allSatisfy { $0.slots == 0 && $0.known == 1 })
        #expect(try await Self.formationConfig(nodes) == before)
    }

    @Test func aNodeRefusingConfigIsNamedAndFormsWithItsOwnSettings() async throws {
        var nodes = try await Self.startNodes(2)
        nodes.append(try await RedisServerProcess.start(
            extraConfig: ["cluster-enabled yes", "cluster-node-timeout 2000", "rename-command CONFIG \"\""],
            password: Self.password))
        defer { nodes.forEach { $0.stop() } }

        let run = try await Self.run(InitClusterCommand(masters: 3, replicasPerMaster: 0), nodes: nodes)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("\(nodes[2].endpoint)") && run.stderr.contains("CONFIG refused"), "\(run.stderr)")
        #expect(try await Self.clusterState(nodes).allSatisfy { $0.slots == 16384 && $0.known == 3 })
        let others = try await Self.formationConfig(Array(nodes.prefix(2)))
        #expect(others.allSatisfy { $0["cluster-node-timeout"] == "2000" && $0["repl-diskless-sync-max-replicas"] == "0" })
    }

    @Test func dryRunThenResumeThenNoOp() async throws {
        let nodes = try await Self.startNodes(3)
        defer { nodes.forEach { $0.stop() } }
        let command = InitClusterCommand(masters: 3, replicasPerMaster: 0)

        var dryRun = command
        dryRun.dryRun = true
        let planned = try await Self.run(dryRun, nodes: nodes)
        #expect(planned.status == 0, "\(planned.stderr)")
        let plan = try planned.result(InitClusterResult.self)
        #expect(plan.status == .planned)
        let steps = plan.steps
        #expect(steps.filter { $0.hasPrefix("assign slots") }.count == 3)
        #expect(try await Self.clusterState(nodes).allSatisfy { $0.slots == 0 && $0.known == 1 }, "dry run changed a node")

        // Half-done: the first planned master already has its slots, nothing else happened.
        let firstMaster = try #require(plan.layout.masters.first)
        let range = firstMaster.slots.split(separator: "-").map(String.init)
        let node = try #require(nodes.first { $0.endpoint.description == firstMaster.address })
        let connection = try await node.connect()
        _ = try await connection.send("CLUSTER", "ADDSLOTSRANGE", range[0], range[1])
        await connection.close()

        let resumed = try await Self.run(command, nodes: nodes)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try resumed.result(InitClusterResult.self).status == .resumed)
        #expect(try await Self.clusterState(nodes).allSatisfy { $0.slots == 16384 && $0.known == 3 })

        let again = try await Self.run(command, nodes: nodes)
        #expect(again.status == 0)
        #expect(try again.result(InitClusterResult.self).status == .alreadyInitialized)
    }

    @Test func nodeHoldingKeysIsNamedAndNothingChanges() async throws {
        let nodes = try await Self.startNodes(3)
        defer { nodes.forEach { $0.stop() } }
        let connection = try await nodes[1].connect()
        _ = try await connection.send("DEBUG", "POPULATE", "1")
        await connection.close()

        let run = try await Self.run(InitClusterCommand(masters: 3, replicasPerMaster: 0), nodes: nodes)
        #expect(run.status == 1)
        #expect(run.stderr.contains(nodes[1].endpoint.description), "\(run.stderr)")
        // A node given by its address is named once, not "ADDRESS (ADDRESS)".
        #expect(!run.stderr.contains("\(nodes[1].endpoint) (\(nodes[1].endpoint))"), "\(run.stderr)")
        #expect(run.stderr.contains("holds keys"), "\(run.stderr)")
        #expect(try await Self.clusterState(nodes).allSatisfy { $0.slots == 0 && $0.known == 1 }, "a node was changed")
    }

    @Test func unreachableClusterBusFailsWithinTheTimeoutNamingTheNode() async throws {
        var nodes = try await Self.startNodes(2)
        let before = try await Self.formationConfig(nodes)
        // This node tells its peers to reach its cluster bus on a port where nothing listens.
        let deadPort = 23000 + Int.random(in: 0..<5000)
        nodes.append(try await RedisServerProcess.start(
            extraConfig: ["cluster-enabled yes", "cluster-node-timeout 2000", "cluster-announce-bus-port \(deadPort)"],
            password: Self.password))
        defer { nodes.forEach { $0.stop() } }

        let started = ContinuousClock.now
        let run = try await Self.run(InitClusterCommand(masters: 3, replicasPerMaster: 0), nodes: nodes,
                                     timeout: .seconds(6))
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("timed out"), "\(run.stderr)")
        #expect(run.stderr.contains(nodes[2].endpoint.description), "\(run.stderr)")
        #expect(elapsed < .seconds(20), "took \(elapsed)")
        // The failed (timed-out) init put every setting back.
        #expect(try await Self.formationConfig(Array(nodes.prefix(2))) == before)
        let third = try await Self.formationConfig([nodes[2]])
        #expect(third.first?["cluster-node-timeout"] == "2000" && third.first?["repl-diskless-sync-max-replicas"] == "0")
    }
}
