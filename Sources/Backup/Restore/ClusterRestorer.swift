import ClusterOps
import Foundation
import RedisCtlCore
import RESP

/// Restores RDB files into a running cluster of any shape: each key is written on the master that
/// owns its slot in the target cluster.
///
/// In order:
/// 1. every slot must have a master, and every master must read the files' RDB version;
/// 2. unless `replace`: function libraries that exist with other code, and (when some master holds
///    keys) keys that already exist, are looked for first, so a refused restore writes nothing;
/// 3. function libraries are loaded with `FUNCTION LOAD REPLACE` on every master, then keys are
///    sent in pipelined batches (see `RestoreEncoder` for which command carries which key), a
///    bounded number in flight per master; keys whose absolute expiry has passed are skipped and counted.
///
/// Files are read and encoded on NIO's blocking-I/O pool, one step ahead of the writes,
/// `filesInParallel` at a time.
public struct ClusterRestorer: Sendable {
    public let pool: NodeConnectionPool
    public let options: RestoreOptions
    public let progress: any ProgressReporter

    public init(pool: NodeConnectionPool, options: RestoreOptions, progress: any ProgressReporter) {
        self.pool = pool
        self.options = options
        self.progress = progress
    }

    public func restore(rdbFile: String, into topology: ClusterTopology, deadline: Deadline) async throws -> RestoreReport {
        try await restore(rdbFiles: [rdbFile], into: topology, deadline: deadline)
    }

    public func restore(rdbFiles: [String], into topology: ClusterTopology, deadline: Deadline) async throws -> RestoreReport {
        let started = ContinuousClock.now
        let router = try SlotRouter(topology: topology)
        var connections: [RedisConnection] = []
        for index in router.masters.indices { connections.append(try await pool.connection(router.endpoint(index))) }

        var headers: [(path: String, version: Int)] = []
        var totalBytes: Int64 = 0
        for path in rdbFiles {
            let reader = try await RDBBatchReader.open(path: path, payloads: false)
            headers.append((path, reader.rdbVersion))
            totalBytes += reader.totalBytes ?? 0
        }
        try await checkVersions(headers, router: router, connections: connections)

        var checkedKeys = false
        if !options.replace {
            let precheck = RestorePrecheck(router: router, connections: connections, progress: progress)
            checkedKeys = try await precheck.run(rdbFiles: rdbFiles, deadline: deadline)
        }

        progress.step("restoring \(rdbFiles.count) RDB file\(rdbFiles.count == 1 ? "" : "s") (\(String(format: "%.1f", Double(totalBytes) / 1_048_576)) MB) into \(router.masters.count) masters")
        let meter = RestoreProgressMeter(progress: progress, started: started, totalBytes: totalBytes)
        let outcomes = try await writeAll(rdbFiles, router: router, connections: connections, meter: meter, deadline: deadline)

        var perMaster: [String: Int] = [:]
        for (index, master) in router.masters.enumerated() {
            perMaster[master.address] = outcomes.reduce(0) { $0 + $1.restoredPerMaster[index] }
        }
        let files = outcomes.map(\.file)
        let report = RestoreReport(
            keysRestored: files.reduce(0) { $0 + $1.keysRestored },
            keysExpiredSkipped: files.reduce(0) { $0 + $1.keysExpiredSkipped },
            functionsLoaded: Set(outcomes.flatMap(\.libraries)).count,
            bytesRead: files.reduce(0) { $0 + $1.bytes },
            keysPerMaster: perMaster,
            checkedForExistingKeys: checkedKeys,
            files: files,
            elapsedSeconds: seconds(ContinuousClock.now - started)
        )
        progress.step("restored \(report.keysRestored) keys into \(router.masters.count) masters in \(String(format: "%.1f", report.elapsedSeconds)) s"
                      + (report.keysExpiredSkipped > 0 ? "; skipped \(report.keysExpiredSkipped) expired keys" : ""))
        return report
    }

    /// Restores the files, `filesInParallel` at a time; outcomes in the files' order.
    private func writeAll(_ rdbFiles: [String], router: SlotRouter, connections: [RedisConnection], meter: RestoreProgressMeter,
                          deadline: Deadline) async throws -> [RestoreWriter.Outcome] {
        let options = options
        return try await withThrowingTaskGroup(of: (Int, RestoreWriter.Outcome).self) { group in
            var results = [RestoreWriter.Outcome?](repeating: nil, count: rdbFiles.count)
            var next = 0
            while next < rdbFiles.count {
                if next >= options.filesInParallel, let (index, outcome) = try await group.next() { results[index] = outcome }
                let index = next
                group.addTask {
                    let writer = RestoreWriter(router: router, connections: connections, options: options, meter: meter, deadline: deadline)
                    return (index, try await writer.restore(path: rdbFiles[index]))
                }
                next += 1
            }
            while let (index, outcome) = try await group.next() { results[index] = outcome }
            return results.compactMap { $0 }
        }
    }

    /// Every master must read the newest RDB version among the files: RESTORE refuses newer payloads.
    private func checkVersions(_ files: [(path: String, version: Int)], router: SlotRouter, connections: [RedisConnection]) async throws {
        guard let newest = files.max(by: { $0.version < $1.version }) else { return }
        for (index, connection) in connections.enumerated() {
            let info = InfoSections.parse(try await connection.send("INFO", "server").string ?? "")
            guard let version = info["redis_version"],
                  let readable = RedisRDBSupport.newestReadableVersion(redisVersion: version) else { continue }
            if readable < newest.version {
                throw GeneralFailure(.cannotRun, "master \(router.masters[index].address) runs Redis \(version), which reads RDB up to version \(readable); \(newest.path) is RDB version \(newest.version) (Redis \(RedisRDBSupport.release(introducing: newest.version))); restore into Redis \(RedisRDBSupport.release(introducing: newest.version)) or newer")
            }
        }
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
