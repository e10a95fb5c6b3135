import ClusterOps
import Foundation
import RedisCtlCore
import RESP

/// How one shard's pull went.
public struct ShardBackupResult: Sendable, Codable, Equatable {
    public var index: Int
    public var slots: String
    public var source: String
    public var sourceRole: String
    public var reason: String
    public var size: Int64
    public var keyCount: Int64?
    public var sha256: String
    public var form: String
    public var seconds: Double
    public var rdbVersion: Int?
}

/// A finished backup: the set written and the sets pruned.
public struct BackupOutcome: Sendable {
    public var manifest: BackupManifest
    /// Where the set lives, e.g. `s3://bucket/prefix/cluster/20261126T200501Z`.
    public var location: String
    public var shards: [ShardBackupResult]
    public var pruned: [String]
    public var seconds: Double
}

/// Carries out a backup: finds the shards, pulls every shard's RDB in parallel into the store,
/// writes the manifest last, then prunes.
public struct BackupRunner: Sendable {
    public let connector: NodeConnector
    public let store: any BackupStore
    public let cluster: String
    public let progress: any ProgressReporter
    public var idleTimeout: Duration = .seconds(60)

    public init(connector: NodeConnector, store: any BackupStore, cluster: String, progress: any ProgressReporter) {
        self.connector = connector
        self.store = store
        self.cluster = cluster
        self.progress = progress
    }

    struct ShardPlan: Sendable {
        var index: Int
        var master: ClusterNode
        var replicas: [ClusterNode]
        var source: PullSource
    }

    public func run(seeds: [RedisEndpoint], keep: Int?, deadline: Deadline, now: Date = Date()) async throws -> BackupOutcome {
        let started = ContinuousClock.now
        let (plans, redisVersion) = try await withNodeConnectionPool(connector) { pool in
            try await plan(seeds: seeds, pool: pool)
        }

        let existing = try await store.list(prefix: cluster + "/")
        let id = BackupSetID.make(at: now, existing: Set(BackupCatalog.sets(in: existing).map(\.id)))
        let directory = cluster + "/" + id
        let location = store.location + "/" + directory
        progress.step("backing up \(plans.count) shards of \(cluster) to \(location)")

        let results: [ShardBackupResult]
        do {
            results = try await pullAll(plans, directory: directory, deadline: deadline)
        } catch {
            // Leave no half set behind when we can help it; prune would clean it up otherwise.
            if let leftovers = try? await store.list(prefix: directory + "/"), !leftovers.isEmpty {
                try? await store.delete(keys: leftovers.map(\.key))
            }
            throw error
        }

        let shards = zip(plans, results).map { plan, result in
            BackupManifest.Shard(
                index: plan.index, file: Self.fileName(plan.index), masterId: plan.master.id,
                nodes: ([plan.master] + plan.replicas).map { Self.manifestNode($0) },
                source: Self.manifestNode(plan.source.node), slots: plan.master.slots,
                keyCount: result.keyCount, size: result.size, sha256: result.sha256, rdbVersion: result.rdbVersion)
        }
        let manifest = BackupManifest(cluster: cluster, id: id, redisVersion: redisVersion,
                                      startedAt: BackupSetID.iso8601(now), completedAt: BackupSetID.iso8601(Date()),
                                      shards: shards)
        try await store.put(key: directory + "/" + BackupManifest.fileName, bytes: try manifest.encoded())
        progress.step("backup set \(id) complete: \(Self.megabytes(manifest.totalSize)) in \(plans.count) shards")

        var pruned: [String] = []
        if let keep {
            pruned = try await prune(keep: keep, current: id)
        }
        let seconds = Self.seconds(ContinuousClock.now - started)
        return BackupOutcome(manifest: manifest, location: location, shards: results, pruned: pruned, seconds: seconds)
    }

    static func fileName(_ index: Int) -> String { "shard-\(index).rdb" }

    static func manifestNode(_ node: ClusterNode) -> BackupManifest.Node {
        BackupManifest.Node(id: node.id, address: node.address, role: node.isMaster ? "master" : "replica")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }

    /// Reads the topology from the first seed that answers, and picks each shard's source.
    func plan(seeds: [RedisEndpoint], pool: NodeConnectionPool) async throws -> ([ShardPlan], String) {
        let topology = try await pool.topology(fromFirstOf: seeds)
        let masters = topology.masters.filter { !$0.slots.isEmpty }.sorted { ($0.slots.first?.start ?? 0) < ($1.slots.first?.start ?? 0) }
        if let failed = masters.first(where: { $0.isFailed || !$0.hasAddress }) {
            throw GeneralFailure(.operationFailed, "master \(failed.displayName) owning slots \(SlotRange.describe(failed.slots)) is failing; "
                + "a backup now would miss its keys. Fix the cluster (redisctl verify) and run again")
        }
        let covered = SlotRange.count(of: masters.flatMap(\.slots))
        guard covered == SlotRange.slotCount else {
            throw GeneralFailure(.operationFailed, "the masters cover \(covered) of \(SlotRange.slotCount) slots; fix the cluster before backing up")
        }

        // INFO of every master and replica, in parallel; a node that does not answer is just not chosen.
        let nodes = masters + masters.flatMap { topology.replicas(of: $0.id) }
        let infos = await withTaskGroup(of: (String, InfoSections?).self) { group in
            for node in nodes {
                group.addTask {
                    let endpoint = RedisEndpoint(host: node.host, port: node.port)
                    guard let replies = try? await pool.connection(endpoint).pipeline([
                        RedisCommand("INFO", "replication"), RedisCommand("INFO", "server"),
                    ]) else { return (node.id, nil) }
                    let text = replies.compactMap { try? $0.get().string }.joined(separator: "\n")
                    return (node.id, text.isEmpty ? nil : InfoSections.parse(text))
                }
            }
            var result: [String: InfoSections] = [:]
            for await (id, info) in group { if let info { result[id] = info } }
            return result
        }
        var plans: [ShardPlan] = []
        for (index, master) in masters.enumerated() {
            let replicas = topology.replicas(of: master.id)
            let source = PullSourcePlanner.choose(
                master: PullCandidate(node: master, info: infos[master.id]),
                replicas: replicas.map { PullCandidate(node: $0, info: infos[$0.id]) })
            if source.role == "master", infos[master.id] == nil {
                throw GeneralFailure(.operationFailed, "master \(master.address) of slots \(SlotRange.describe(master.slots)) does not answer and no replica is in sync")
            }
            plans.append(ShardPlan(index: index, master: master, replicas: replicas, source: source))
        }
        let version = masters.compactMap { infos[$0.id]?.redisVersion }.first ?? "unknown"
        return (plans, version)
    }

    func pullAll(_ plans: [ShardPlan], directory: String, deadline: Deadline) async throws -> [ShardBackupResult] {
        let puller = RDBPuller(options: connector.options, dialer: connector.dialer, idleTimeout: idleTimeout)
        return try await withThrowingTaskGroup(of: ShardBackupResult.self) { group in
            for plan in plans {
                group.addTask {
                    try await pullShard(plan, puller: puller, directory: directory, deadline: deadline)
                }
            }
            var results: [ShardBackupResult] = []
            do {
                for try await result in group { results.append(result) }
            } catch {
                group.cancelAll()
                throw error
            }
            return results.sorted { $0.index < $1.index }
        }
    }

    func pullShard(_ plan: ShardPlan, puller: RDBPuller, directory: String, deadline: Deadline) async throws -> ShardBackupResult {
        let slots = SlotRange.describe(plan.master.slots)
        let source = plan.source
        progress.step("shard \(plan.index) (slots \(slots)): pulling from \(source.role) \(source.node.address), \(source.reason)")
        let writer = try await store.makeWriter(key: directory + "/" + Self.fileName(plan.index))
        let started = ContinuousClock.now
        let reporter = progress
        let index = plan.index
        do {
            let pulled = try await puller.pull(from: source.endpoint, into: writer, deadline: deadline) { bytes in
                reporter.detail("shard \(index): \(Self.megabytes(bytes)) pulled")
            }
            _ = try await writer.finish()
            let seconds = Self.seconds(ContinuousClock.now - started)
            let rate = seconds > 0 ? Double(pulled.size) / 1_000_000 / seconds : 0
            progress.step("shard \(plan.index): \(Self.megabytes(pulled.size)) in \(String(format: "%.1f", seconds)) s"
                + " (\(String(format: "%.0f", rate)) MB/s), \(pulled.keyCount.map(String.init) ?? "unknown") keys")
            return ShardBackupResult(index: plan.index, slots: slots, source: source.node.address, sourceRole: source.role,
                                     reason: source.reason, size: pulled.size, keyCount: pulled.keyCount,
                                     sha256: pulled.sha256, form: pulled.form.rawValue, seconds: seconds,
                                     rdbVersion: pulled.rdbVersion)
        } catch {
            await writer.abort()
            if let failure = error as? GeneralFailure {
                throw GeneralFailure(failure.category, "shard \(plan.index) (slots \(slots)): \(failure.message)")
            }
            throw GeneralFailure(.operationFailed, "shard \(plan.index) (slots \(slots)) from \(source.node.address): \(error)")
        }
    }

    /// Deletes what `PrunePlanner` says, after a successful backup.
    func prune(keep: Int, current: String) async throws -> [String] {
        let sets = BackupCatalog.sets(in: try await store.list(prefix: cluster + "/"))
        let stale = PrunePlanner.plan(sets: sets, parent: cluster, keep: keep, current: current)
        guard !stale.isEmpty else { return [] }
        try await store.delete(keys: stale.flatMap { $0.objects.map(\.key) })
        for set in stale {
            progress.step("pruned \(set.isComplete ? "old" : "incomplete") set \(set.id)")
        }
        return stale.map(\.id)
    }
}

