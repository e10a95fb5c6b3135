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
/// every key sent as `RESTORE … ABSTTL` to the master owning its slot.
enum RestoreEngine {
    static func load(files: [String], pool: NodeConnectionPool, topology: ClusterTopology, replace: Bool,
                     progress: any ProgressReporter, deadline: Deadline) async throws -> EngineOutcome {
        // MERGE POINT (restore engine): replace this body with
        //   let report = try await ClusterRestorer(pool: pool, options: RestoreOptions(replace: replace),
        //                                          progress: progress)
        //       .restore(rdbFiles: files, into: topology, deadline: deadline)
        // and map `report` (and its per-file reports) into EngineOutcome.
        throw GeneralFailure(.cannotRun, "this build of redisctl has no RDB restore engine")
    }
}
