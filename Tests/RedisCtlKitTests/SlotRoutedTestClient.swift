import ClusterOps
import Foundation
import RESP
import RedisCtlCore
@testable import RedisCtlKit

/// A small cluster-aware client for tests: routes each command to the master owning its key's slot.
final class SlotRoutedTestClient: @unchecked Sendable {
    let pool: NodeConnectionPool
    let topology: ClusterTopology

    static func connect(_ environment: LocalTestEnvironment) async throws -> SlotRoutedTestClient {
        let password = try String(contentsOf: environment.clusterDirectory.appendingPathComponent("password"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let verify = try await environment.run { try await VerifyCommand().run($0) }.result(VerifyResult.self).report
        let seeds = verify.nodes.map(\.address).compactMap(RedisEndpoint.init(parsing:))
        let pool = NodeConnectionPool(connector: NodeConnector(options: .init(password: password, commandTimeout: .seconds(60)),
                                                               dialer: TCPDialer()))
        guard let seed = seeds.first else { throw GeneralFailure(.cannotRun, "no nodes in verify's answer") }
        let topology = try ClusterTopology.parse(try await pool.send(seed, RedisCommand("CLUSTER", "NODES")).string ?? "")
        return SlotRoutedTestClient(pool: pool, topology: topology)
    }

    private init(pool: NodeConnectionPool, topology: ClusterTopology) {
        self.pool = pool
        self.topology = topology
    }

    var masters: [RedisEndpoint] {
        topology.masters.filter { !$0.slots.isEmpty }.map { RedisEndpoint(host: $0.host, port: $0.port) }
    }

    func master(for key: String) throws -> RedisEndpoint {
        guard let owner = topology.owner(ofSlot: KeySlot.slot(for: key)) else {
            throw GeneralFailure(.operationFailed, "no owner for \(key)")
        }
        return RedisEndpoint(host: owner.host, port: owner.port)
    }

    /// Sends each command to the master of its key, pipelined per master; any error reply throws.
    func run(_ commands: [(key: String, command: RedisCommand)]) async throws -> [RESPValue] {
        var byMaster: [RedisEndpoint: [(Int, RedisCommand)]] = [:]
        for (index, item) in commands.enumerated() { byMaster[try master(for: item.key), default: []].append((index, item.command)) }
        var results = [RESPValue](repeating: .null, count: commands.count)
        for (endpoint, batch) in byMaster {
            let connection = try await pool.connection(endpoint)
            for start in stride(from: 0, to: batch.count, by: 500) {
                let slice = Array(batch[start..<min(start + 500, batch.count)])
                let replies = try await connection.pipeline(slice.map(\.1))
                for ((index, _), reply) in zip(slice, replies) { results[index] = try reply.get() }
            }
        }
        return results
    }

    /// `name key arguments...`, sent to the key's master.
    func send(_ key: String, _ name: String, _ arguments: String...) async throws -> RESPValue {
        try await pool.send(try master(for: key), RedisCommand(name, [key] + arguments))
    }

    /// A command whose key is not its first argument, sent to `key`'s master.
    func send(routedBy key: String, _ name: String, _ arguments: String...) async throws -> RESPValue {
        try await pool.send(try master(for: key), RedisCommand(name, arguments))
    }

    /// Every key of every master.
    func allKeys() async throws -> [String] {
        var keys: [String] = []
        for endpoint in masters {
            let connection = try await pool.connection(endpoint)
            var cursor = "0"
            repeat {
                let reply = try await connection.send("SCAN", cursor, "COUNT", "1000")
                guard case .array(let parts?) = reply, parts.count == 2 else { break }
                cursor = parts[0].string ?? "0"
                if case .array(let batch?) = parts[1] { keys += batch.compactMap(\.string) }
            } while cursor != "0"
        }
        return keys.sorted()
    }

    func totalKeys() async throws -> Int64 {
        var total: Int64 = 0
        for endpoint in masters { total += try await pool.send(endpoint, RedisCommand("DBSIZE")).int ?? 0 }
        return total
    }

    func close() async { await pool.closeAll() }
}
