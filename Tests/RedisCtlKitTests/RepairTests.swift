import ClusterOps
import Foundation
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// `repair` on a real local cluster, broken one way at a time with the commands an operator or an
/// interrupted tool leaves behind; each state repaired, then verified healthy.
@Suite(.serialized) struct RepairTests {
    @Test func repairsEachBrokenState() async throws {
        try await LocalTestEnvironment.withCluster(spec: "redis: {clusterNodeTimeoutMs: 2000}") { environment in
            let deploy = await environment.run { try await DeployCommand().run($0) }
            #expect(deploy.status == 0, "deploy: \(deploy.stderr)")
            let password = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("password"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let cluster = try await LiveCluster(environment: environment, password: password)

            let nothing = await environment.run { try await RepairCommand().run($0) }
            #expect(nothing.status == 0, "\(nothing.stderr)")
            #expect(try nothing.result(RepairResult.self).steps.isEmpty)

            try await openSlot(environment, cluster)
            try await uncoveredSlotsWithKeys(environment, cluster)
            try await masterWithoutReplica(environment, cluster)
        }
    }

    /// A migration cut short: slot open on both ends. --dry-run lists it and changes nothing.
    func openSlot(_ environment: LocalTestEnvironment, _ cluster: LiveCluster) async throws {
        let (source, target) = try await cluster.twoMasters()
        let slot = try #require(source.slots.first?.start)
        try await cluster.send(target, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", source.id)
        try await cluster.send(source, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", target.id)

        let preview = await environment.run { try await RepairCommand(dryRun: true).run($0) }
        #expect(preview.status == 0, "\(preview.stderr)")
        let planned = try preview.result(RepairResult.self)
        #expect(planned.dryRun && planned.steps.map(\.step) == ["close-slot"], "\(planned.steps.map(\.description))")
        #expect(try await cluster.node(source.id).migrating.map(\.slot) == [slot], "the dry run changed nothing")

        let repair = await environment.run { try await RepairCommand().run($0) }
        #expect(repair.status == 0, "\(repair.stdout) \(repair.stderr)")
        let result = try repair.result(RepairResult.self)
        #expect(result.steps.map(\.step) == ["close-slot"] && result.verify?.healthy == true, "\(result.text)")
        #expect(try await cluster.node(source.id).migrating.isEmpty)
    }

    /// Slots no master serves, with keys on one of them: it takes them back, the keys readable.
    func uncoveredSlotsWithKeys(_ environment: LocalTestEnvironment, _ cluster: LiveCluster) async throws {
        let (owner, _) = try await cluster.twoMasters()
        let range = try #require(owner.slots.first)
        let slots = SlotRange(range.start, range.start + 9)
        let keys = (0..<2000).map { "uncovered:\($0)" }.filter { slots.contains(KeySlot.slot(for: $0)) }
        #expect(!keys.isEmpty)
        for key in keys { try await cluster.send(owner, "SET", key, "v-\(key)") }
        for node in try await cluster.nodes() {
            try await cluster.send(node, "CLUSTER", "DELSLOTSRANGE", String(slots.start), String(slots.end))
        }
        let broken = await environment.run { try await VerifyCommand().run($0) }
        #expect(broken.status == 1, "verify sees the uncovered slots: \(broken.stdout)")

        let repair = await environment.run { try await RepairCommand().run($0) }
        #expect(repair.status == 0, "\(repair.stdout) \(repair.stderr)")
        let result = try repair.result(RepairResult.self)
        #expect(result.steps.map(\.description) == ["assign uncovered slots \(slots) to \(owner.name)"], "\(result.text)")
        #expect(result.verify?.healthy == true, "\(result.text)")
        for key in keys { #expect(try await cluster.send(owner, "GET", key).string == "v-\(key)") }
    }

    /// A replica moved to another master: one master without replica, one with two; one moves back.
    func masterWithoutReplica(_ environment: LocalTestEnvironment, _ cluster: LiveCluster) async throws {
        let (orphaned, donor) = try await cluster.twoMasters()
        let replica = try #require(try await cluster.nodes().first { $0.masterId == orphaned.id })
        try await cluster.send(replica, "CLUSTER", "REPLICATE", donor.id)
        try await poll("\(replica.name) to follow \(donor.name)", until: .after(.seconds(30))) {
            try await cluster.node(replica.id).masterId == donor.id ? .done(()) : .notYet("not yet")
        }

        let repair = await environment.run { try await RepairCommand().run($0) }
        #expect(repair.status == 0, "\(repair.stdout) \(repair.stderr)")
        let result = try repair.result(RepairResult.self)
        #expect(result.steps.map(\.step) == ["replicate"], "\(result.text)")
        #expect(result.steps.first?.description.contains("replicates \(orphaned.name)") == true, "\(result.text)")
        #expect(result.verify?.healthy == true, "\(result.text)")
        let replicas = try await cluster.nodes().filter(\.isReplica)
        #expect(Set(replicas.compactMap(\.masterId)).count == 3, "every master has its replica again")
    }
}

/// The test's own view of the cluster: node ids, slots and addresses from CLUSTER NODES.
struct LiveCluster {
    struct Node {
        var name: String
        var id: String
        var endpoint: RedisEndpoint
        var slots: [SlotRange]
        var masterId: String?
        var migrating: [ClusterNode.SlotMigration]
        var isReplica: Bool
    }

    let endpoints: [String: RedisEndpoint]
    let password: String

    init(environment: LocalTestEnvironment, password: String) async throws {
        let report = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        var endpoints: [String: RedisEndpoint] = [:]
        for node in report.nodes { endpoints[node.name] = RedisEndpoint(parsing: node.address) }
        self.endpoints = endpoints
        self.password = password
    }

    @discardableResult
    func send(_ node: Node, _ arguments: String...) async throws -> RESPValue {
        let connection = try await RedisConnection.connect(to: node.endpoint, options: .init(password: password))
        let reply = await Result { try await connection.send(RedisCommand(arguments[0], Array(arguments.dropFirst()))) }
        await connection.close()
        return try reply.get()
    }

    /// Each node's own line; `reachableOnly` skips nodes that do not answer instead of failing.
    func nodes(reachableOnly: Bool = false) async throws -> [Node] {
        var nodes: [Node] = []
        for (name, endpoint) in endpoints.sorted(by: { $0.key < $1.key }) {
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(to: endpoint, options: .init(password: password, connectTimeout: .seconds(1)))
            } catch where reachableOnly {
                continue
            }
            let text = try await connection.send(RedisCommand("CLUSTER", "NODES")).string ?? ""
            await connection.close()
            guard let myself = try ClusterTopology.parse(text).myself else { continue }
            nodes.append(Node(name: name, id: myself.id, endpoint: endpoint, slots: myself.slots, masterId: myself.masterId,
                              migrating: myself.migrating, isReplica: myself.isReplica))
        }
        return nodes
    }

    func node(_ id: String) async throws -> Node {
        guard let node = try await nodes().first(where: { $0.id == id }) else { throw GeneralFailure(.operationFailed, "no node \(id)") }
        return node
    }

    /// Two masters serving slots, in name order.
    func twoMasters() async throws -> (Node, Node) {
        let masters = try await nodes().filter { !$0.isReplica && !$0.slots.isEmpty }
        guard masters.count >= 2 else { throw GeneralFailure(.operationFailed, "fewer than two masters") }
        return (masters[0], masters[1])
    }
}

private extension Result where Failure == any Error {
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
