import Foundation
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#endif

/// Starting and stopping local redis-server processes, always by the PID they wrote themselves.
enum LocalProcess {
    /// The redis-server binary: `$REDISCTL_REDIS_SERVER`, else the first on PATH, else /usr/bin.
    static func redisServerPath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["REDISCTL_REDIS_SERVER"], !explicit.isEmpty { return explicit }
        let path = (environment["PATH"] ?? "") + ":/usr/bin:/usr/local/bin:/usr/sbin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw GeneralFailure(.cannotRun,
            "redis-server not found on PATH; install it (Debian: apt-get install redis-server) or set REDISCTL_REDIS_SERVER")
    }

    /// Runs `redis-server CONFIG`; the config says `daemonize yes`, so the launcher exits once the
    /// server has forked and the PID comes from the pidfile.
    static func start(configPath: String, pidFile: String, logFile: String, deadline: Deadline) async throws -> Int32 {
        try? FileManager.default.removeItem(atPath: pidFile)
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: try redisServerPath())
        launcher.arguments = [configPath]
        launcher.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        launcher.standardError = errors
        do {
            try launcher.run()
        } catch {
            throw GeneralFailure(.operationFailed, "cannot start redis-server for \(configPath): \(error.localizedDescription)")
        }
        launcher.waitUntilExit()
        if launcher.terminationStatus != 0 {
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let logTail = tail(of: logFile)
            let reason = [stderr, logTail].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .first { !$0.isEmpty } ?? "exit status \(launcher.terminationStatus)"
            throw GeneralFailure(.operationFailed, "redis-server failed to start (\(configPath)): \(reason)")
        }
        return try await poll("redis-server to write \(pidFile)", until: deadline) {
            if let pid = readPID(pidFile), isRedisServer(pid) { return .done(pid) }
            return .notYet(tail(of: logFile))
        }
    }

    static func readPID(_ pidFile: String) -> Int32? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True when `pid` is alive and is a redis-server, so a recycled PID is never signalled.
    static func isRedisServer(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        #if os(Linux)
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        // A zombie has exited; only its parent's wait is missing.
        if let close = state.lastIndex(of: ")"), state[state.index(after: close)...].hasPrefix(" Z") { return false }
        return String(decoding: data, as: UTF8.self).contains("redis-server")
        #else
        return true
        #endif
    }

    /// SIGTERM (Redis saves and exits), then SIGKILL if it is still there at the deadline.
    static func stop(pid: Int32, deadline: Deadline) async {
        guard isRedisServer(pid) else { return }
        kill(pid, SIGTERM)
        let stopped = (try? await poll("redis-server \(pid) to exit", until: deadline) {
            isRedisServer(pid) ? .notYet("still running") : .done(true)
        }) ?? false
        if !stopped {
            kill(pid, SIGKILL)
            _ = try? await poll("redis-server \(pid) to exit", until: .after(.seconds(5))) {
                isRedisServer(pid) ? .notYet("still running") : .done(true)
            }
        }
    }

    static func tail(of file: String, lines: Int = 3) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: " | ")
    }
}
