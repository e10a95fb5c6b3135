import Backup
import ClusterOps
import RedisCtlCore

/// What loading the shard files into the cluster did, per file and in total.
struct EngineOutcome: Sendable {
    struct File: Sendable {
        var path: String
        var keysRead: Int
        var keysRestored: Int
        var keysExpiredSkipped: Int
    }

    var keysRestored: Int
    var keysExpiredSkipped: Int
    var functionsLoaded: Int
    var bytesRead: Int64
    var keysPerMaster: [String: Int]
    var files: [File]
}

/// The one place `restore` hands verified RDB files to the RDB restore engine (`ClusterRestorer`):
/// every key written (`MSET` per slot for strings, `RESTORE … ABSTTL` for other values) on the master owning its slot.
enum RestoreEngine {
    static func load(files: [String], pool: NodeConnectionPool, topology: ClusterTopology, options: RestoreOptions,
                     progress: any ProgressReporter, deadline: Deadline) async throws -> EngineOutcome {
        let report = try await ClusterRestorer(pool: pool, options: options, progress: progress)
            .restore(rdbFiles: files, into: topology, deadline: deadline)
        return EngineOutcome(
            keysRestored: report.keysRestored, keysExpiredSkipped: report.keysExpiredSkipped,
            functionsLoaded: report.functionsLoaded, bytesRead: report.bytesRead, keysPerMaster: report.keysPerMaster,
            files: report.files.map {
                EngineOutcome.File(path: $0.path, keysRead: $0.keysRead, keysRestored: $0.keysRestored,
                                   keysExpiredSkipped: $0.keysExpiredSkipped)
            })
    }
}
