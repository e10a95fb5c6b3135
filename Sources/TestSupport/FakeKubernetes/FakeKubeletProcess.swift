import Foundation
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One container's `redis-server`, a child of the test process, tracked by PID and reaped here.
final class FakeKubeletProcess: @unchecked Sendable {
    let pid: Int32
    let podKey: FakeKubeletPodKey
    /// The pod's own dir (config, logs); removed when the pod goes away. Its PVC dirs live elsewhere.
    let podDirectory: URL

    private let lock = NSLock()
    private var exited = false

    init(pid: Int32, podKey: FakeKubeletPodKey, podDirectory: URL) {
        self.pid = pid
        self.podKey = podKey
        self.podDirectory = podDirectory
    }

    /// Whether the process still runs; reaps it once it has exited.
    var isRunning: Bool {
        lock.withLock {
            if exited { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || result == -1 { exited = true }
            return !exited
        }
    }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, a bounded wait without blocking a thread, then SIGKILL.
    func terminate(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        let deadline = Deadline.after(grace)
        while isRunning, !deadline.hasPassed { try? await Task.sleep(for: .milliseconds(10)) }
        if isRunning {
            signal(SIGKILL)
            let killDeadline = Deadline.after(.seconds(2))
            while isRunning, !killDeadline.hasPassed { try? await Task.sleep(for: .milliseconds(10)) }
        }
    }

    func logTail(lines: Int = 20) -> String {
        let logs = ["console.log", "redis.log"].compactMap {
            try? String(contentsOf: podDirectory.appendingPathComponent($0), encoding: .utf8)
        }
        return logs.joined(separator: "\n").split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// Every process the kubelet started, by PID, so `stop()` can kill them all synchronously even while
/// the reconcile loop is busy. Once stopped, newly registered processes are killed at once.
final class FakeKubeletProcessTable: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Int32: FakeKubeletProcess] = [:]
    private var stopped = false

    var isStopped: Bool { lock.withLock { stopped } }

    /// False when the kubelet was stopped meanwhile: the caller must not use the process.
    func register(_ process: FakeKubeletProcess) -> Bool {
        let accepted = lock.withLock { () -> Bool in
            guard !stopped else { return false }
            processes[process.pid] = process
            return true
        }
        if !accepted { Self.killAll([process]) }
        return accepted
    }

    func remove(_ process: FakeKubeletProcess) {
        _ = lock.withLock { processes.removeValue(forKey: process.pid) }
    }

    var all: [FakeKubeletProcess] { lock.withLock { Array(processes.values) } }

    /// Marks the table stopped and kills everything in it: SIGTERM to all, one bounded wait, SIGKILL.
    func stopAll() {
        let victims = lock.withLock { () -> [FakeKubeletProcess] in
            stopped = true
            defer { processes = [:] }
            return Array(processes.values)
        }
        Self.killAll(victims)
    }

    private static func killAll(_ victims: [FakeKubeletProcess]) {
        victims.forEach { $0.signal(SIGTERM) }
        let deadline = Deadline.after(.seconds(5))
        while victims.contains(where: \.isRunning), !deadline.hasPassed { usleep(10_000) }
        victims.forEach { $0.signal(SIGKILL) }
        let killDeadline = Deadline.after(.seconds(2))
        while victims.contains(where: \.isRunning), !killDeadline.hasPassed { usleep(10_000) }
        for victim in victims { try? FileManager.default.removeItem(at: victim.podDirectory) }
    }
}

/// A pod's namespace and name.
struct FakeKubeletPodKey: Hashable, Sendable, CustomStringConvertible {
    var namespace: String
    var name: String
    var description: String { "\(namespace)/\(name)" }
}
