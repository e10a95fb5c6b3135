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
        let errorFile = configPath + ".start-errors"
        let status = try launchAndWait(try redisServerPath(), arguments: [configPath], errorFile: errorFile)
        if status != 0 {
            let stderr = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            let reason = [stderr, tail(of: logFile)].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .first { !$0.isEmpty } ?? "exit status \(status)"
            throw GeneralFailure(.operationFailed, "redis-server failed to start (\(configPath)): \(reason)")
        }
        try? FileManager.default.removeItem(atPath: errorFile)
        return try await poll("redis-server to write \(pidFile)", until: deadline) {
            if let pid = readPID(pidFile), isRedisServer(pid) { return .done(pid) }
            return .notYet(tail(of: logFile))
        }
    }

    /// posix_spawn + waitpid: the launcher returns within milliseconds (the server daemonises), and
    /// reaping it ourselves leaves no zombie behind. stdout goes to /dev/null, stderr to `errorFile`.
    private static func launchAndWait(_ path: String, arguments: [String], errorFile: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The calling thread may block signals (runtimes do); the server must start with none
        // blocked and default handlers, or it would never see the SIGTERM that stops it cleanly.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw GeneralFailure(.operationFailed, "cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, spelled out: the macros are not imported into Swift.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
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
