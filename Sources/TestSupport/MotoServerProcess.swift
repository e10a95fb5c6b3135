import Foundation
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#endif

/// A real `moto_server` (PyPI `moto[server]`) on a free loopback port: an S3 that speaks the real
/// protocol and checks SigV4. Stopped by PID, also from `deinit` when a test fails early.
public final class MotoServerProcess: @unchecked Sendable {
    public let port: Int
    let process: Process
    public var pid: Int32 { process.processIdentifier }
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    static func executable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/moto_server" } + ["/root/.pyenv/shims/moto_server", "/usr/local/bin/moto_server"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw GeneralFailure(.cannotRun, "moto_server is not installed (scripts/install-validators.sh installs it)")
        }
        return found
    }

    /// A port nothing listens on right now (the kernel's pick for port 0).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw GeneralFailure(.cannotRun, "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func start() async throws -> MotoServerProcess {
        let executable = try executable()
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let server = MotoServerProcess(port: port, process: process)
            do {
                try await server.waitUntilListening(deadline: .after(.seconds(60)))
                return server
            } catch {
                server.stop()
                lastError = error
            }
        }
        throw lastError ?? GeneralFailure(.cannotRun, "moto_server did not start")
    }

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    deinit { stop() }

    private func waitUntilListening(deadline: Deadline) async throws {
        let port = self.port
        try await poll("moto_server on port \(port)", until: deadline, maxInterval: .milliseconds(200)) {
            guard self.process.isRunning else { throw GeneralFailure(.cannotRun, "moto_server exited") }
            return Self.accepts(port: port) ? .done(()) : .notYet("not listening yet")
        }
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    public func stop() {
        let pid = process.processIdentifier
        guard pid > 0, process.isRunning else { return }
        // moto keeps everything in memory: nothing to shut down cleanly. Foundation reaps the child.
        kill(pid, SIGKILL)
    }

    /// Environment for the S3 store: moto accepts any keys but checks the signature with them.
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": endpoint]
    }
}
