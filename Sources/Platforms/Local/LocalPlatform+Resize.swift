import Foundation
import RESP
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
            try await grow(record: &record, to: deployment, deadline: deadline, progress: progress)
            return try await waitForPods(count: wanted, deadline: deadline, progress: progress)
        }
        for ordinal in (wanted..<record.podCount).reversed() {
            let directory = podDirectory(ordinal)
            if let process = runningProcess(ordinal) {
                progress.step("\(podName(ordinal)): stopping process \(process.pid)")
                await LocalProcess.stop(process, deadline: deadline.capped(at: .seconds(30)))
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

    /// Starts the new ordinals. Running pods are not restarted (apply would, for a config that
    /// changed with the shape, e.g. repl-diskless-sync-max-replicas): their files are rewritten and
    /// the changed settings applied live with CONFIG SET.
    private func grow(record: inout ClusterRecord, to deployment: RedisDeployment, deadline: Deadline,
                      progress: any ProgressReporter) async throws {
        let password = try loadOrCreatePassword()
        let wanted = deployment.spec.redisPodCount
        let existing = record.podCount
        record.podCount = wanted
        try writeRecord(record)
        for ordinal in 0..<wanted {
            let directory = podDirectory(ordinal)
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
            let address = record.subnet.address(ordinal: ordinal)
            let config = redisConfig(spec: deployment.spec, address: address, podDirectory: directory, password: password)
                .render(header: "Written by redisctl for \(podName(ordinal)); changes here are overwritten by the next deploy.")
            let configURL = directory.appendingPathComponent("redis.conf")
            let previous = try? String(contentsOf: configURL, encoding: .utf8)
            if previous != config { try writePrivate(config, to: configURL) }
            let running = runningProcess(ordinal) != nil
            if ordinal < existing, running {
                if let previous, previous != config {
                    await applyLive(Self.changedDirectives(from: previous, to: config), ordinal: ordinal,
                                    address: address, password: password, progress: progress)
                }
                continue
            }
            progress.step("\(podName(ordinal)): starting on \(address):\(Self.redisPort)")
            _ = try await LocalProcess.start(configPath: configURL.path, podDirectory: directory,
                                             logFile: directory.appendingPathComponent("redis.log").path, deadline: deadline)
        }
    }

    private func applyLive(_ directives: [(String, String)], ordinal: Int, address: String, password: String,
                           progress: any ProgressReporter) async {
        guard !directives.isEmpty else { return }
        do {
            let connection = try await RedisConnection.connect(
                to: RedisEndpoint(host: address, port: Self.redisPort), options: RedisConnectionOptions(password: password))
            defer { Task { await connection.close() } }
            for (name, value) in directives {
                _ = try await connection.send(RedisCommand("CONFIG", "SET", name, value))
            }
        } catch {
            progress.warning("\(podName(ordinal)): could not apply \(directives.map(\.0).joined(separator: ", ")) live "
                             + "(\(error)); it takes effect at the next restart")
        }
    }

    /// `name value` lines of `new` that differ from `old`.
    static func changedDirectives(from old: String, to new: String) -> [(String, String)] {
        func directives(_ text: String) -> [String: String] {
            var result: [String: String] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
            }
            return result
        }
        let before = directives(old)
        return directives(new).filter { before[$0.key] != $0.value }.sorted { $0.key < $1.key }
            .map { ($0.key, $0.value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
    }
}
