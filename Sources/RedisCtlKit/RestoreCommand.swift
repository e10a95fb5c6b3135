import Backup
import ClusterOps
import Foundation
import RESP
import RedisCtlCore

/// `restore --from DIR|s3://BUCKET/PREFIX[/ID] [--replace] [--flush] [--keep-access-stats]`: verify a complete backup set
/// (manifest and every sha256) before touching the cluster, optionally empty the cluster, load every
/// shard's RDB into the cluster's current masters, and compare key counts with the manifest.
public struct RestoreCommand: Sendable {
    public var source: String
    public var replace: Bool
    public var flush: Bool
    public var keepAccessStats: Bool

    public init(from source: String, replace: Bool = false, flush: Bool = false, keepAccessStats: Bool = false) {
        self.source = source
        self.replace = replace
        self.flush = flush
        self.keepAccessStats = keepAccessStats
    }

    /// The store's root and the set id, when `--from` ends in one.
    static func split(_ text: String) throws -> (StoreLocation, String?) {
        let location = try StoreLocation(parsing: text)
        if let (parent, last) = location.removingLastComponent(), BackupSetID.isValid(last) {
            return (parent, last)
        }
        return (location, nil)
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        let (location, id) = try Self.split(source)
        return try await DeploymentTarget.with(context, nodes: .insteadOfPlatform) { target in
            let deadline = context.deadline()
            let store = try await target.backupStore(location, deadline: deadline, progress: context.progress)
            let verified = try await withBackupStore(store) { store in
                let listing = try await BackupSetLoader.locate(in: store, id: id, cluster: target.clusterName)
                context.progress.step("restoring backup set \(store.location)/\(listing.directory)")
                return try await BackupSetLoader.fetchAndVerify(listing, from: store, temporaryRoot: NSTemporaryDirectory(),
                                                                progress: context.progress)
            }
            defer { verified.cleanUp() }

            let result = try await withNodeConnectionPool(try await target.connector()) { pool in
                try await restore(verified, target: target, pool: pool, context: context, deadline: deadline)
            }
            try context.emit(result)
            return result.countsMatch ? 0 : 1
        }
    }

    private func restore(_ verified: VerifiedSet, target: DeploymentTarget, pool: NodeConnectionPool,
                         context: CommandContext, deadline: Deadline) async throws -> RestoreResult {
        let topology = try await Self.topology(seeds: try await target.nodes().map(\.endpoint), pool: pool)
        let masters = topology.masters.filter { !$0.slots.isEmpty }
        // Every master answers before anything is written: a master that stopped answering would
        // fail the restore half-way, after --flush emptied the others.
        for master in masters {
            let endpoint = RedisEndpoint(host: master.host, port: master.port)
            do {
                _ = try await pool.send(endpoint, RedisCommand("PING"))
            } catch {
                throw GeneralFailure(.operationFailed, "\((error as? any RedisCtlFailure)?.message ?? "\(endpoint): \(error)"); "
                    + "every master must answer before the restore writes anything. Nothing was written\(flush ? " or flushed" : ""): "
                    + "run it again once the node is back or the cluster has failed it over")
            }
        }
        if flush {
            try context.confirm("delete ALL keys of cluster \(target.clusterName) (\(masters.count) masters) before restoring \(verified.manifest.id)?")
            for master in masters {
                _ = try await pool.send(RedisEndpoint(host: master.host, port: master.port), RedisCommand("FLUSHALL", "SYNC"))
            }
            context.progress.step("flushed \(masters.count) masters")
        }
        let restorer = ClusterRestorer(pool: pool, options: RestoreOptions(replace: replace, keepAccessStats: keepAccessStats),
                                       progress: context.progress)
        let outcome = try await restorer.restore(rdbFiles: verified.shards.map(\.path), into: topology, deadline: deadline)
        let shards = verified.shards.map { shard -> RestoreResult.Shard in
            let file = outcome.files.first { $0.path == shard.path }
            return RestoreResult.Shard(index: shard.shard.index, file: shard.shard.file, expectedKeys: shard.shard.keyCount,
                                       keysRead: file?.keysRead, keysRestored: file?.keysRestored,
                                       keysExpiredSkipped: file?.keysExpiredSkipped)
        }
        for shard in shards where !shard.matches {
            context.progress.warning("shard \(shard.index): manifest lists \(shard.expectedKeys.map(String.init) ?? "?") keys, "
                + "the RDB gave \(shard.keysRead.map(String.init) ?? "?")")
        }
        return RestoreResult(cluster: target.clusterName, set: verified.manifest.id, source: verified.location,
                             backupCluster: verified.manifest.cluster, flushed: flush,
                             keysRestored: outcome.keysRestored, keysExpiredSkipped: outcome.keysExpiredSkipped,
                             functionsLoaded: outcome.functionsLoaded, bytesRead: outcome.bytesRead,
                             keysPerMaster: outcome.keysPerMaster, seconds: (outcome.elapsedSeconds * 1000).rounded() / 1000,
                             shards: shards)
    }

    /// The cluster as the first answering node sees it; every slot must have a master to restore into.
    static func topology(seeds: [RedisEndpoint], pool: NodeConnectionPool) async throws -> ClusterTopology {
        let topology = try await pool.topology(fromFirstOf: seeds)
        let masters = topology.masters.filter { !$0.slots.isEmpty && !$0.isFailed }
        let covered = SlotRange.count(of: masters.flatMap(\.slots))
        guard covered == SlotRange.slotCount else {
            throw GeneralFailure(.operationFailed, "the cluster's masters cover \(covered) of \(SlotRange.slotCount) slots;"
                + " fix the cluster (redisctl verify) before restoring")
        }
        return topology
    }
}

struct RestoreResult: CommandResult {
    struct Shard: Encodable {
        let index: Int
        let file: String
        let expectedKeys: Int64?
        let keysRead: Int?
        let keysRestored: Int?
        let keysExpiredSkipped: Int?

        /// The RDB held as many keys as the manifest says (restored plus expired ones skipped).
        var matches: Bool {
            guard let expectedKeys, let keysRead else { return true }
            return Int64(keysRead) == expectedKeys
        }

        enum CodingKeys: String, CodingKey {
            case index, file, expectedKeys, keysRead, keysRestored, keysExpiredSkipped, matches
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(file, forKey: .file)
            try container.encodeIfPresent(expectedKeys, forKey: .expectedKeys)
            try container.encodeIfPresent(keysRead, forKey: .keysRead)
            try container.encodeIfPresent(keysRestored, forKey: .keysRestored)
            try container.encodeIfPresent(keysExpiredSkipped, forKey: .keysExpiredSkipped)
            try container.encode(matches, forKey: .matches)
        }
    }

    let cluster: String
    let set: String
    let source: String
    let backupCluster: String
    let flushed: Bool
    let keysRestored: Int
    let keysExpiredSkipped: Int
    let functionsLoaded: Int
    let bytesRead: Int64
    let keysPerMaster: [String: Int]
    let seconds: Double
    let shards: [Shard]

    var countsMatch: Bool { shards.allSatisfy(\.matches) }

    enum CodingKeys: String, CodingKey {
        case cluster, set, source, backupCluster, flushed, keysRestored, keysExpiredSkipped, functionsLoaded, bytesRead,
             keysPerMaster, seconds, shards, countsMatch
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(set, forKey: .set)
        try container.encode(source, forKey: .source)
        try container.encode(backupCluster, forKey: .backupCluster)
        try container.encode(flushed, forKey: .flushed)
        try container.encode(keysRestored, forKey: .keysRestored)
        try container.encode(keysExpiredSkipped, forKey: .keysExpiredSkipped)
        try container.encode(functionsLoaded, forKey: .functionsLoaded)
        try container.encode(bytesRead, forKey: .bytesRead)
        try container.encode(keysPerMaster, forKey: .keysPerMaster)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(shards, forKey: .shards)
        try container.encode(countsMatch, forKey: .countsMatch)
    }

    var text: String {
        let table = TextTable.render(
            header: ["SHARD", "FILE", "MANIFEST KEYS", "READ", "RESTORED", "EXPIRED", "MATCH"],
            rows: shards.map {
                [String($0.index), $0.file, $0.expectedKeys.map(String.init) ?? "?", $0.keysRead.map(String.init) ?? "?",
                 $0.keysRestored.map(String.init) ?? "?", $0.keysExpiredSkipped.map(String.init) ?? "?",
                 $0.matches ? "yes" : "NO"]
            })
        let verdict = countsMatch ? "key counts match the manifest" : "key counts DIFFER from the manifest"
        return [table, "", "restored \(keysRestored) keys of \(backupCluster)'s set \(set) into \(cluster)"
            + String(format: " in %.1f s", seconds) + (flushed ? " (flushed first)" : "") + "; " + verdict]
            .joined(separator: "\n")
    }
}

/// Reads the JSON `encode` writes; the derived keys (`matches`, `countsMatch`) are recomputed.
extension RestoreResult: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cluster: try container.decode(String.self, forKey: .cluster),
                  set: try container.decode(String.self, forKey: .set),
                  source: try container.decode(String.self, forKey: .source),
                  backupCluster: try container.decode(String.self, forKey: .backupCluster),
                  flushed: try container.decode(Bool.self, forKey: .flushed),
                  keysRestored: try container.decode(Int.self, forKey: .keysRestored),
                  keysExpiredSkipped: try container.decode(Int.self, forKey: .keysExpiredSkipped),
                  functionsLoaded: try container.decode(Int.self, forKey: .functionsLoaded),
                  bytesRead: try container.decode(Int64.self, forKey: .bytesRead),
                  keysPerMaster: try container.decode([String: Int].self, forKey: .keysPerMaster),
                  seconds: try container.decode(Double.self, forKey: .seconds),
                  shards: try container.decode([Shard].self, forKey: .shards))
    }
}

extension RestoreResult.Shard: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(index: try container.decode(Int.self, forKey: .index),
                  file: try container.decode(String.self, forKey: .file),
                  expectedKeys: try container.decodeIfPresent(Int64.self, forKey: .expectedKeys),
                  keysRead: try container.decodeIfPresent(Int.self, forKey: .keysRead),
                  keysRestored: try container.decodeIfPresent(Int.self, forKey: .keysRestored),
                  keysExpiredSkipped: try container.decodeIfPresent(Int.self, forKey: .keysExpiredSkipped))
    }
}
