import Backup
import ClusterOps
import Foundation
import RedisCtlCore

/// `backup --to DIR|s3://BUCKET/PREFIX [--keep N]`: one RDB per shard, pulled in parallel through
/// the replication protocol, plus a manifest written last; then older sets pruned.
public struct BackupCommand: Sendable {
    public var destination: String
    public var keep: Int?

    public init(to destination: String, keep: Int? = nil) {
        self.destination = destination
        self.keep = keep
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        if let keep, keep < 1 { throw GeneralFailure(.usage, "--keep must be at least 1") }
        let location = try StoreLocation(parsing: destination)
        let deadline = context.deadline()
        return try await DeploymentTarget.with(context, nodes: .insteadOfPlatform) { target in
            let connector = try await target.connector()
            let seeds = try await target.nodes().map(\.endpoint)
            let store = try await target.backupStore(location, deadline: deadline, progress: context.progress)
            return try await withBackupStore(store) { store in
                let runner = BackupRunner(connector: connector, store: store, cluster: target.clusterName,
                                          progress: context.progress)
                let outcome = try await runner.run(seeds: seeds, keep: keep, deadline: deadline)
                try context.emit(BackupResult(outcome))
                return 0
            }
        }
    }
}

struct BackupResult: CommandResult, Decodable {
    let cluster: String
    let id: String
    let location: String
    let redisVersion: String
    let totalBytes: Int64
    let totalKeys: Int64?
    let seconds: Double
    let shards: [ShardBackupResult]
    let pruned: [String]

    init(_ outcome: BackupOutcome) {
        cluster = outcome.manifest.cluster
        id = outcome.manifest.id
        location = outcome.location
        redisVersion = outcome.manifest.redisVersion
        totalBytes = outcome.manifest.totalSize
        totalKeys = outcome.manifest.totalKeys
        seconds = (outcome.seconds * 1000).rounded() / 1000
        shards = outcome.shards
        pruned = outcome.pruned
    }

    var text: String {
        let table = TextTable.render(
            header: ["SHARD", "SLOTS", "SOURCE", "ROLE", "KEYS", "BYTES", "SHA256"],
            rows: shards.map {
                [String($0.index), $0.slots, $0.source, $0.sourceRole, $0.keyCount.map(String.init) ?? "?",
                 String($0.size), String($0.sha256.prefix(12))]
            })
        var lines = [table, "", "backup \(id) of \(cluster) written to \(location)"
            + String(format: " (%.1f MB in %.1f s)", Double(totalBytes) / 1_000_000, seconds)]
        if !pruned.isEmpty { lines.append("pruned: " + pruned.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
