import Foundation
import RESP
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `redis-server` for tests, on its own random loopback address so tests run in parallel.
///
/// Always stop it in a `defer` right after starting:
/// ```swift
/// let server = try await RedisServerProcess.start(extraConfig: ["cluster-enabled yes"])
/// defer { server.stop() }
/// ```
/// `deinit` also kills the process, as a backstop when a test forgets or fails early.
/// The server runs in the foreground as a child of the test process, so `pid` is the server's
/// own PID (no daemon fork to lose track of) and it is reaped here when it exits. It is spawned
/// with an empty signal mask: the test runner blocks SIGTERM, and a child inheriting that would
/// ignore `stop()`.
public final class RedisServerProcess: @unchecked Sendable {
    public let endpoint: RedisEndpoint
    public let pid: Int32
    /// The server's temp dir: redis.conf, redis.log, data files.
    public let directory: URL
    public let password: String?

    private let lock = NSLock()
    private var stopped = false
    private var exited = false

    private init(endpoint: RedisEndpoint, pid: Int32, directory: URL, password: String?) {
        self.endpoint = endpoint
        self.pid = pid
        self.directory = directory
        self.password = password
    }

    deinit { stop() }

    /// Starts a server and waits (bounded) until it answers PING.
    /// `extraConfig` lines are appended to the test defaults, e.g. `["cluster-enabled yes"]`.
    public static func start(extraConfig: [String] = [], password: String? = nil, port: Int = 6379) async throws -> RedisServerProcess {
        var lastFailure: (any Error)?
        // Another test (or process) may grab the same address between probe and bind: retry elsewhere.
        for _ in 0..<8 {
            let host = try freeLoopbackHost(ports: [port, port + 10000])
            do {
                return try await launch(endpoint: RedisEndpoint(host: host, port: port), extraConfig: extraConfig, password: password)
            } catch let failure as LaunchFailure where failure.addressInUse {
                lastFailure = failure
            }
        }
        throw lastFailure ?? GeneralFailure(.cannotRun, "could not start redis-server on a free loopback address")
    }

    /// Starts `count` servers in parallel; when any fails, stops the others and throws.
    public static func startMany(count: Int, extraConfig: [String] = [], password: String? = nil) async throws -> [RedisServerProcess] {
        let results = await withTaskGroup(of: Result<RedisServerProcess, any Error>.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do { return .success(try await start(extraConfig: extraConfig, password: password)) } catch { return .failure(error) }
                }
            }
            var results: [Result<RedisServerProcess, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        let servers = results.compactMap { try? $0.get() }
        for result in results {
            if case .failure(let error) = result {
                servers.forEach { $0.stop() }
                throw error
            }
        }
        return servers
    }

    /// A loopback endpoint nothing listens on (for connect-failure tests).
    public static func unusedLoopbackEndpoint(port: Int = 6379) throws -> RedisEndpoint {
        RedisEndpoint(host: try freeLoopbackHost(ports: [port]), port: port)
    }

    /// Connects with this server's password.
    public func connect(options: RedisConnectionOptions = .init()) async throws -> RedisConnection {
        var options = options
        if options.password == nil { options.password = password }
        return try await RedisConnection.connect(to: endpoint, options: options)
    }

    /// SIGTERM by PID, bounded wait, then SIGKILL; removes the temp dir. Safe to call twice.
    public func stop() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        if isRunning {
            kill(pid, SIGTERM)
            if !waitForExit(within: .seconds(5)) {
                kill(pid, SIGKILL)
                _ = waitForExit(within: .seconds(2))
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The end of the server's log, for failure messages.
    public func logTail(lines: Int = 20) -> String {
        Self.logTail(directory, lines: lines)
    }

    /// Whether the server still runs; reaps it once it has exited.
    public var isRunning: Bool {
        lock.withLock {
            if exited { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            // -1: not our child any more (already reaped); pid: it exited just now.
            if result == pid || result == -1 { exited = true }
            return !exited
        }
    }

    private func waitForExit(within duration: Duration) -> Bool {
        let deadline = Deadline.after(duration)
        while isRunning {
            if deadline.hasPassed { return false }
            usleep(10_000)
        }
        return true
    }

    // MARK: Launching

    private struct LaunchFailure: RedisCtlFailure {
        let message: String
        let addressInUse: Bool
        var category: FailureCategory { .cannotRun }
    }

    private static func launch(endpoint: RedisEndpoint, extraConfig: [String], password: String?) async throws -> RedisServerProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = [
            "daemonize no",
            "port \(endpoint.port)",
            "bind \(endpoint.host)",
            // Else cluster bus peers see every connection as coming from 127.0.0.1.
            "bind-source-addr \(endpoint.host)",
            "dir \(quoted(directory.path))",
            "pidfile \(quoted(directory.appendingPathComponent("redis.pid").path))",
            "logfile \(quoted(directory.appendingPathComponent("redis.log").path))",
            "appendonly no",
            "save \"\"",
        ]
        if let password {
            config += ["requirepass \(quoted(password))", "masterauth \(quoted(password))"]
        }
        config += extraConfig
        let configFile = directory.appendingPathComponent("redis.conf")
        try (config.joined(separator: "\n") + "\n").write(to: configFile, atomically: true, encoding: .utf8)

        // Errors before the logfile opens (bad config) go to stdout/stderr.
        let pid = try spawn(try serverExecutable().path, [configFile.path], output: directory.appendingPathComponent("console.log").path)
        let server = RedisServerProcess(endpoint: endpoint, pid: pid, directory: directory, password: password)
        do {
            try await poll("redis-server at \(endpoint) to answer PING", until: .after(.seconds(15))) {
                guard server.isRunning else {
                    let log = logTail(directory, lines: 20)
                    throw LaunchFailure(
                        message: "redis-server at \(endpoint) exited at startup: \(log.split(separator: "\n").suffix(3).joined(separator: " | "))",
                        addressInUse: log.contains("Address already in use") || log.contains("Could not create server TCP listening socket")
                    )
                }
                do {
                    let connection = try await RedisConnection.connect(
                        to: endpoint,
                        options: RedisConnectionOptions(password: password, connectTimeout: .milliseconds(500), commandTimeout: .seconds(2))
                    )
                    let reply: RESPValue
                    do {
                        reply = try await connection.send("PING")
                    } catch {
                        await connection.close()
                        throw error
                    }
                    await connection.close()
                    return reply.string == "PONG" ? .done(()) : .notYet("PING answered \(reply)")
                } catch let error as RedisError {
                    return .notYet(error.message)
                }
            }
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// posix_spawn with an empty signal mask and default signal handling.
    /// `environment` as `NAME=value` entries; nil passes this process's own.
    static func spawn(_ executable: String, _ arguments: [String], output: String, environment: [String]? = nil) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGALRM, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let result = envp.map { envp in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw GeneralFailure(.cannotRun, "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func logTail(_ directory: URL, lines: Int) -> String {
        let logs = ["console.log", "redis.log"].compactMap {
            try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }
        return logs.joined(separator: "\n").split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    static func serverExecutable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"] {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        throw GeneralFailure(.cannotRun, "redis-server not found on PATH or in /usr/bin; install redis-server")
    }

    /// A random 127.x.y.z outside 127.0.0.1 and 127.0.1.x (used by local clusters) where all
    /// `ports` can be bound right now.
    static func freeLoopbackHost(ports: [Int]) throws -> String {
        for _ in 0..<200 {
            let host = "127.\(Int.random(in: 2...250)).\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"
            if ports.allSatisfy({ canBind(host: host, port: $0) }) { return host }
        }
        throw GeneralFailure(.cannotRun, "no free loopback address found for ports \(ports)")
    }

    static func canBind(host: String, port: Int) -> Bool {
        guard (1...65535).contains(port) else { return false }
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
