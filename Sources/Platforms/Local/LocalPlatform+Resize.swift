import Foundation
import RedisCtlCore
import Spec

extension LocalPlatform {
    /// Growing starts the next processes through `apply`; shrinking stops the highest ordinals and
    /// records the new count, so a later `deploy` keeps the scaled size.
    public func resize(_ deployment: RedisDeployment, deleteData: Bool, deadline: Deadline,
                       progress: any ProgressReporter) async throws -> [PodEndpoint] {
        let wanted = deployment.spec.redisPodCount
        guard var record = try readRecord() else {
            throw GeneralFailure(.cannotRun, "no local cluster '\(clusterName)'; run deploy --platform local first")
        }
        if wanted > record.podCount {
            _ = try await apply(deployment, deadline: deadline, progress: progress)
            return try await waitForPods(count: wanted, deadline: deadline, progress: progress)
        }
        for ordinal in (wanted..<record.podCount).reversed() {
            let directory = podDirectory(ordinal)
            if let pid = LocalProcess.readPID(directory.appendingPathComponent("redis.pid").path),
               LocalProcess.isRedisServer(pid) {
                progress.step("\(podName(ordinal)): stopping process \(pid)")
                await LocalProcess.stop(pid: pid, deadline: deadline.capped(at: .seconds(30)))
            }
            if deleteData {
                try? FileManager.default.removeItem(at: directory)
            } else {
                // Kept like a PersistentVolumeClaim: data/ stays, what deploy rewrites goes.
                for file in ["redis.conf", "redis.pid", "redis.log"] {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
                }
            }
        }
        record.podCount = wanted
        try writeRecord(record)
        return try await pods()
    }
}
