import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end within a deadline, the one way redisctl starts a child (a credential
/// plugin, a redis-server launcher). The child gets its own process group, so whatever it starts is
/// killed with it when the deadline passes or its output is too large; what it prints is kept in
/// memory up to a limit; it is never signalled after it has been reaped, so no reused PID is hit.
public enum ChildProcess {
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): return "exited with status \(status)"
            case .signalled(let signal): return "was killed by signal \(signal)"
            }
        }
    }

    public struct Outcome: Sendable {
        public var termination: Termination
        public var stdout: [UInt8]
        /// At most `errorLimit` bytes: the rest is read and dropped.
        public var stderr: [UInt8]
    }

    public enum Failure: Error, Sendable, Equatable {
        /// posix_spawn failed with this errno (ETXTBSY for a script still open for writing).
        case cannotStart(errno: Int32)
        /// The deadline passed before the child exited and closed its output; it and its process
        /// group were killed.
        case timedOut
        /// stdout passed `outputLimit`; the child and its process group were killed.
        case outputTooLarge(limit: Int)
    }

    /// Runs `path` with `arguments` and exactly `environment`, stdin from /dev/null. Returns once
    /// the child has exited and both output pipes are closed (a background child still holding
    /// them counts as the child still running). Cancelling the task kills the child as the
    /// deadline does.
    public static func run(_ path: String, arguments: [String], environment: [String: String],
                           outputLimit: Int, errorLimit: Int = 64 << 10, deadline: Deadline) async throws -> Outcome {
        let child = try spawn(path, arguments: arguments, environment: environment)
        let watch = ChildWatch(child: child, outputLimit: outputLimit, errorLimit: errorLimit, deadline: deadline)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // A thread of its own: the loop blocks in poll(2), which must not hold one of the few
                // threads Swift concurrency has.
                let thread = Thread { continuation.resume(with: watch.runToEnd()) }
                thread.name = "child process \(child.pid)"
                thread.start()
            }
        } onCancel: {
            watch.cancel()
        }
    }

    struct Spawned {
        let pid: pid_t
        let output: Int32
        let errors: Int32
    }

    private static func spawn(_ path: String, arguments: [String], environment: [String: String]) throws -> Spawned {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipeClosingOnExec(&outputPipe, O_CLOEXEC) == 0 else { throw Failure.cannotStart(errno: errno) }
        guard pipeClosingOnExec(&errorPipe, O_CLOEXEC) == 0 else {
            let code = errno
            outputPipe.forEach { close($0) }
            throw Failure.cannotStart(errno: code)
        }
        defer {
            // The child has its copies; the parent keeps only the reading ends.
            close(outputPipe[1])
            close(errorPipe[1])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (pgid = its pid), so one kill reaches everything it started.
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw Failure.cannotStart(errno: spawned)
        }
        return Spawned(pid: pid, output: outputPipe[0], errors: errorPipe[0])
    }
}

/// pipe2(2): glibc declares it only under _GNU_SOURCE, which Swift's Glibc module does not set. The
/// pipe must be close-on-exec from its creation: a child another thread spawns in between would
/// otherwise inherit its writing end and keep it open (a daemonized redis-server, for good).
@_silgen_name("pipe2")
private func pipeClosingOnExec(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// One child's run, from spawn to reap, on the thread `ChildProcess.run` gives it.
private final class ChildWatch: @unchecked Sendable {
    private let child: ChildProcess.Spawned
    private let outputLimit: Int
    private let errorLimit: Int
    private let deadline: Deadline
    private let lock = NSLock()
    private var cancelled = false

    init(child: ChildProcess.Spawned, outputLimit: Int, errorLimit: Int, deadline: Deadline) {
        self.child = child
        self.outputLimit = outputLimit
        self.errorLimit = errorLimit
        self.deadline = deadline
    }

    func cancel() { lock.withLock { cancelled = true } }
    private var isCancelled: Bool { lock.withLock { cancelled } }

    func runToEnd() -> Result<ChildProcess.Outcome, any Error> {
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var descriptors = [pollfd(fd: child.output, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: child.errors, events: Int16(POLLIN), revents: 0)]
        var exited = false
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        defer { descriptors.filter { $0.fd >= 0 }.forEach { close($0.fd) } }
        while true {
            // WNOWAIT: seen as exited but not reaped, so its PID (and process group) stay ours to
            // signal until the reap below.
            if !exited {
                var info = siginfo_t()
                exited = waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
                    && info._sifields._sigchld.si_pid == child.pid
            }
            if exited && descriptors.allSatisfy({ $0.fd < 0 }) {
                return .success(ChildProcess.Outcome(termination: reap(), stdout: output, stderr: errors))
            }
            if deadline.hasPassed || isCancelled { return .failure(killed(ChildProcess.Failure.timedOut)) }
            let slice = min(max(deadline.remaining, .zero), .milliseconds(20))
            let milliseconds = Int32(slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&descriptors, nfds_t(descriptors.count), milliseconds) > 0 else { continue }
            for index in descriptors.indices where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if index == 0 {
                        output.append(contentsOf: buffer[0..<count])
                        if output.count > outputLimit {
                            return .failure(killed(ChildProcess.Failure.outputTooLarge(limit: outputLimit)))
                        }
                    } else if errors.count < errorLimit {
                        errors.append(contentsOf: buffer[0..<min(count, errorLimit - errors.count)])
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(descriptors[index].fd)
                    descriptors[index].fd = -1
                }
            }
        }
    }

    /// Kills the child's process group (the child is not reaped yet, so the group is still its
    /// own), then reaps the child.
    private func killed(_ failure: ChildProcess.Failure) -> any Error {
        kill(-child.pid, SIGKILL)
        // The child itself too, should it have left its group.
        kill(child.pid, SIGKILL)
        _ = reap()
        return failure
    }

    private func reap() -> ChildProcess.Termination {
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out: the macros are not imported into Swift.
        return (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }
}
