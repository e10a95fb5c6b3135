import Foundation
import Platforms
import RedisCtlCore
import RESP
import Spec

extension LocalPlatform {
    /// Growing starts the next processes through `apply`; shrinking stops the highest ordinals and
    /// records the new count, so a later `deploy` keeps the scaled size.
    public func resize(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deleteData: Bool,
                       deadline: Deadline, progress: any ProgressReporter) async throws -> [PodEndpoint] {
        let wanted = deployment.spec.redisPodCount
        guard var record = try readRecord() else {
            throw GeneralFailure(.cannotRun, "no local cluster '\(clusterName)'; run deploy --platform local first")
        }
        if wanted > record.podCount {
            try await grow(record: &record, to: deployment, deadline: deadline, progress: progress)
            return try await waitForPods(count: wanted, deadline: deadline, progress: progress)
        }
        let removed = try await pods().filter { $0.ordinal >= wanted }
        if !removed.isEmpty { try await removalGuard.ensureRemovable(removed, deadline: deadline) }
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
        record.deployment = deployment
        try writeRecord(record)
        return try await pods()
    }

    /// Starts the new ordinals. Running pods are not restarted (apply would, for a config that
    /// changed with the shape, e.g. repl-diskless-sync-max-replicas): their files are rewritten and
    /// the changed settings applied live with CONFIG SET.
    private func grow(record: inout ClusterRecord, to deployment: RedisDeployment, deadline: Deadline,
                      progress: any ProgressReporter) async throws {
        let password = try loadOrCreatePassword()
        try writeAuthConfig(spec: deployment.spec, admin: try adminPasswords(current: password),
                            users: try loadOrCreateUserPasswords(for: deployment.spec))
        let wanted = deployment.spec.redisPodCount
        let existing = record.podCount
        if deployment.spec.tls.enabled {
            try ensureCertificates(podCount: wanted, subnet: record.subnet, now: Date(), progress: progress)
        }
        record.podCount = wanted
        record.deployment = deployment
        try writeRecord(record)
        let dialer = try await nodeDialer(for: deployment.spec)
        for ordinal in 0..<wanted {
            let directory = podDirectory(ordinal)
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
            let address = record.subnet.address(ordinal: ordinal)
            let config = redisConfig(spec: deployment.spec, ordinal: ordinal, address: address)
                .render(header: "Written by redisctl for \(podName(ordinal)); changes here are overwritten by the next deploy.")
            let configURL = directory.appendingPathComponent("redis.conf")
            let previous = try? String(contentsOf: configURL, encoding: .utf8)
            if previous != config { try writePrivate(config, to: configURL) }
            let running = runningProcess(ordinal) != nil
            if ordinal < existing, running {
                if let previous, previous != config {
                    let applied = await applyLive(Self.changedDirectives(from: previous, to: config), ordinal: ordinal,
                                                  address: address, password: password, dialer: dialer, progress: progress)
                    // The process now runs what the file says: no restart is owed for it.
                    if applied, Self.keepsEveryDirective(from: previous, to: config) {
                        try writePrivate(config, to: runningConfigURL(ordinal))
                    }
                }
                continue
            }
            progress.step("\(podName(ordinal)): starting on \(address):\(Self.redisPort)")
            try await start(ordinal: ordinal, deadline: deadline)
        }
    }

    /// True when every directive took effect in the running process.
    private func applyLive(_ directives: [(String, String)], ordinal: Int, address: String, password: String,
                           dialer: any RedisDialer, progress: any ProgressReporter) async -> Bool {
        guard !directives.isEmpty else { return true }
        do {
            let connection = try await RedisConnection.connect(
                to: RedisEndpoint(host: address, port: Self.redisPort),
                options: RedisConnectionOptions(password: password, connectTimeout: .seconds(5), commandTimeout: .seconds(10)),
                dialer: dialer)
            do {
                for (name, value) in directives {
                    _ = try await connection.send(RedisCommand("CONFIG", "SET", name, value))
                }
                await connection.close()
                return true
            } catch {
                await connection.close()
                throw error
            }
        } catch {
            progress.warning("\(podName(ordinal)): could not apply \(directives.map(\.0).joined(separator: ", ")) live "
                             + "(\(error)); it takes effect at the next restart")
            return false
        }
    }

    /// `name value` lines of `new` that differ from `old`.
    static func changedDirectives(from old: String, to new: String) -> [(String, String)] {
        let before = directives(old)
        return directives(new).filter { before[$0.key] != $0.value }.sorted { $0.key < $1.key }
            .map { ($0.key, $0.value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
    }

    /// Whether every directive of `old` is still in `new` (CONFIG SET cannot take one back).
    static func keepsEveryDirective(from old: String, to new: String) -> Bool {
        Set(directives(old).keys).isSubset(of: directives(new).keys)
    }

    /// A rendered redis.conf's `name value` lines, by name (repeated names: the last).
    private static func directives(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }
}
