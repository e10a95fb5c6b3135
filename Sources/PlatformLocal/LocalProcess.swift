import Foundation
import Platforms
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#endif

/// A pod's redis-server process: its PID and the data directory that proves it is the pod's.
struct PodProcess: Sendable, Equatable {
    let pid: Int32
    let dataDirectory: String

    /// Checked again before every signal: a PID proven once can exit and be reused.
    var isRunning: Bool { LocalProcess.runs(pid, in: dataDirectory) }
}

/// Starting and stopping local redis-server processes, each one proven to be the pod's first.
enum LocalProcess {
    /// Runs `redis-server CONFIG`; the config says `daemonize yes`, so the launcher exits once the
    /// server has forked, and the process is found from the pod directory it runs in.
    static func start(serverPath: String, environment: [String: String], configPath: String, podDirectory: URL,
                      logFile: String, deadline: Deadline) async throws -> PodProcess {
        let pidFile = podDirectory.appendingPathComponent("redis.pid").path
        try? FileManager.default.removeItem(atPath: pidFile)
        let launcher: ChildProcess.Outcome
        do {
            launcher = try await ChildProcess.run(serverPath, arguments: [configPath], environment: environment,
                                                  outputLimit: 64 << 10, deadline: deadline)
        } catch let failure as ChildProcess.Failure {
            let reason: String
            switch failure {
            case .cannotStart(let code): reason = "cannot start \(serverPath): \(String(cString: strerror(code)))"
            case .timedOut: reason = "it did not daemonize in time (\(tail(of: logFile)))"
            case .outputTooLarge: reason = "it printed more than 64 KiB before daemonizing"
            }
            throw GeneralFailure(.operationFailed, "redis-server failed to start (\(configPath)): \(reason)")
        }
        if launcher.termination != .exited(0) {
            let printed = String(decoding: launcher.stderr + launcher.stdout, as: UTF8.self)
            let reason = [printed, tail(of: logFile)].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .first { !$0.isEmpty } ?? "it \(launcher.termination)"
            throw GeneralFailure(.operationFailed, "redis-server failed to start (\(configPath)): \(reason)")
        }
        return try await poll("redis-server to write \(pidFile)", until: deadline) {
            if FileManager.default.fileExists(atPath: pidFile), let process = running(inPod: podDirectory) {
                return .done(process)
            }
            return .notYet(tail(of: logFile))
        }
    }

    /// The redis-server a pod directory runs, or nil. Its pid file is only a hint: a process is
    /// the pod's when it is alive, runs a `*-server` binary and its working directory is the pod's
    /// data directory (redis-server changes into `dir` before it writes its pid file; no other
    /// cluster's server runs there). A stale file or a reused PID fails that proof, and the process
    /// table is searched instead, so the pod's own server is still found.
    static func running(inPod podDirectory: URL) -> PodProcess? {
        running(inPods: [podDirectory])[0]
    }

    /// `running(inPod:)` of each directory, with one pass over the process table for all of them.
    static func running(inPods podDirectories: [URL]) -> [PodProcess?] {
        let dataDirectories = podDirectories.map { resolvedPath($0.appendingPathComponent("data").path) }
        var found: [PodProcess?] = zip(podDirectories, dataDirectories).map { podDirectory, dataDirectory in
            guard let dataDirectory, let hint = readPID(podDirectory.appendingPathComponent("redis.pid").path) else { return nil }
            let process = PodProcess(pid: hint, dataDirectory: dataDirectory)
            return process.isRunning ? process : nil
        }
        // The pods still unproven, by data directory.
        var missing: [String: Int] = [:]
        for (index, dataDirectory) in dataDirectories.enumerated() where found[index] == nil {
            if let dataDirectory { missing[dataDirectory] = index }
        }
        guard !missing.isEmpty else { return found }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid > 1,
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                  let index = missing[cwd] else { continue }
            let process = PodProcess(pid: pid, dataDirectory: cwd)
            guard process.isRunning else { continue }
            found[index] = process
            missing[cwd] = nil
            if missing.isEmpty { break }
        }
        return found
    }

    private static func readPID(_ pidFile: String) -> Int32? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: pidFile),
              let size = attributes[.size] as? NSNumber, size.intValue <= 32,
              let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when `pid` is alive (not a zombie), runs a `*-server` binary (redis-server,
    /// valkey-server) and works in `dataDirectory`. A process of another user cannot be
    /// inspected, and is never ours.
    fileprivate static func runs(_ pid: Int32, in dataDirectory: String) -> Bool {
        #if os(Linux)
        guard pid > 0, kill(pid, 0) == 0,
              let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
              cwd == dataDirectory,
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"), !stat[stat.index(after: close)...].hasPrefix(" Z"),
              let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        // Redis rewrites its title ("/usr/bin/redis-server 127.0.1.1:6379 [cluster]"): the
        // binary is the first word.
        let program = cmdline.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }
        return String(decoding: program, as: UTF8.self).split(separator: "/").last?.hasSuffix("-server") ?? false
        #else
        return false
        #endif
    }

    /// SIGTERM (Redis saves and exits), then SIGKILL if it is still there at the deadline. Every
    /// signal goes to a process just proven to be the pod's.
    static func stop(_ process: PodProcess, deadline: Deadline) async {
        guard process.isRunning else { return }
        kill(process.pid, SIGTERM)
        let stopped = (try? await poll("redis-server \(process.pid) to exit", until: deadline) {
            process.isRunning ? .notYet("still running") : .done(true)
        }) ?? false
        if !stopped, process.isRunning {
            kill(process.pid, SIGKILL)
            _ = try? await poll("redis-server \(process.pid) to exit", until: .after(.seconds(5))) {
                process.isRunning ? .notYet("still running") : .done(true)
            }
        }
    }

    static func tail(of file: String, lines: Int = 3) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: " | ")
    }
}
