import Foundation
import RedisCtlCore
import RESP
@testable import PlatformLocal
@testable import Platforms
@testable import RedisCtlKit

/// Collects what a command writes, so tests can read stdout and stderr separately.
final class CapturedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    var stdout: String { lock.withLock { out } }
    var stderr: String { lock.withLock { err } }

    func console(interactive: Bool = false) -> Console {
        Console(writeOut: { text in self.lock.withLock { self.out += text } },
                writeErr: { text in self.lock.withLock { self.err += text } },
                isInteractive: interactive)
    }
}

/// What one command run produced.
struct CommandRun {
    let status: Int32
    let stdout: String
    let stderr: String

    /// stdout decoded as the command's result type (`-o json`).
    func result<Result: CommandResult & Decodable>(_ type: Result.Type) throws -> Result {
        do {
            return try JSONDecoder().decode(Result.self, from: Data(stdout.utf8))
        } catch {
            throw GeneralFailure(.operationFailed, "stdout is not a \(Result.self): \(error); stdout: \(stdout.prefix(500))")
        }
    }

    /// stdout parsed as one JSON object, for output that is not a command result (the benchmark report).
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw GeneralFailure(.operationFailed, "stdout is not a JSON object: \(stdout)")
        }
        return object
    }
}

/// A local cluster's settings for tests: its own state dir and a random loopback /24 start.
struct LocalTestEnvironment {
    let stateDirectory: URL
    let configPath: String
    let name: String
    let subnetStart: String

    /// `spec` is the YAML body under `spec:`.
    init(name: String = "t\(UInt32.random(in: 0..<UInt32.max) % 100_000)", spec: String) throws {
        self.name = name
        stateDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redisctl-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        configPath = stateDirectory.appendingPathComponent("redisctl.yaml").path
        try Self.specYAML(name: name, spec: spec).write(toFile: configPath, atomically: true, encoding: .utf8)
        subnetStart = "127.\(Int.random(in: 20...250)).\(Int.random(in: 0...255))"
    }

    static func specYAML(name: String, spec: String) -> String {
        """
        apiVersion: redisctl.io/v1alpha1
        kind: RedisDeployment
        metadata: {name: \(name)}
        spec:
        \(spec.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    /// The platform the commands of this environment run on, as the tests inspect it.
    var localPlatform: LocalPlatform {
        LocalPlatform(clusterName: name, stateRoot: stateDirectory, host: .thisMachine(environment: environment))
    }

    /// Replaces the spec file's `spec:` body, as an operator editing redisctl.yaml does.
    func rewriteSpec(_ spec: String) throws {
        try Self.specYAML(name: name, spec: spec).write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func settings(output: OutputFormat = .json, timeout: Duration = .seconds(90), yes: Bool = false,
                  nodes: [RedisEndpoint]? = nil) -> GlobalSettings {
        GlobalSettings(configPath: configPath, platform: .local, stateDirectory: stateDirectory.path,
                       output: output, timeout: timeout, assumeYes: yes, verbosity: .verbose, nodes: nodes)
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["REDISCTL_LOCAL_SUBNET"] = subnetStart
        environment.removeValue(forKey: "REDISCTL_PASSWORD")
        environment.removeValue(forKey: "REDISCLI_AUTH")
        return environment
    }

    func run(_ settings: GlobalSettings? = nil, extraEnvironment: [String: String] = [:],
             _ body: (CommandContext) async throws -> Int32) async -> CommandRun {
        let output = CapturedOutput()
        let context = CommandContext(settings: settings ?? self.settings(), console: output.console(),
                                     environment: environment.merging(extraEnvironment) { $1 },
                                     workingDirectory: stateDirectory.path)
        var status: Int32
        do {
            status = try await body(context)
        } catch let failure as any RedisCtlFailure {
            context.console.writeErr("error: \(failure.message)\n")
            status = failure.category.rawValue
        } catch {
            context.console.writeErr("error: \(error)\n")
            status = 1
        }
        return CommandRun(status: status, stdout: output.stdout, stderr: output.stderr)
    }

    var clusterDirectory: URL { stateDirectory.appendingPathComponent(name, isDirectory: true) }

    func pid(ofPod ordinal: Int) -> Int32? {
        let file = clusterDirectory.appendingPathComponent("pods/\(name)-\(ordinal)/redis.pid")
        return (try? String(contentsOf: file, encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Runs `body` on a new environment with this spec, and tears it down afterwards however `body` ends.
    static func withCluster(spec: String, _ body: (LocalTestEnvironment) async throws -> Void) async throws {
        let environment = try LocalTestEnvironment(spec: spec)
        do {
            try await body(environment)
        } catch {
            await environment.tearDown()
            throw error
        }
        await environment.tearDown()
    }

    /// Stops every process this environment's cluster started and removes its files, even after a failure.
    func tearDown() async {
        _ = await run(settings(yes: true)) { try await DestroyCommand(deleteData: true).run($0) }
        // Whatever destroy left running, proven to be a pod's server before it is killed.
        let pods = clusterDirectory.appendingPathComponent("pods")
        for pod in (try? FileManager.default.contentsOfDirectory(atPath: pods.path)) ?? [] {
            if let process = LocalProcess.running(inPod: pods.appendingPathComponent(pod)) {
                kill(process.pid, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(at: stateDirectory)
    }
}

/// A redis-server of no cluster of ours, started in the foreground by the test (so its PID is the
/// test's own child), listening on a Unix socket only.
struct ForeignRedisServer {
    let process: Process
    let directory: URL
    var pid: Int32 { process.processIdentifier }

    static func start() throws -> ForeignRedisServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-foreign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LocalHost.thisMachine(environment: ProcessInfo.processInfo.environment).redisServerPath())
        process.arguments = ["--port", "0", "--unixsocket", directory.appendingPathComponent("s").path,
                             "--dir", directory.path, "--save", "", "--appendonly", "no", "--daemonize", "no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return ForeignRedisServer(process: process, directory: directory)
    }

    /// SIGKILL: it holds no data, and a child of the test process may start with SIGTERM blocked.
    func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Alive and not a zombie (a daemon's exit is reaped by init, not by us, and may lag).
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return true }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

/// Runs a program and returns its exit status and output (for independent clients like redis-cli).
func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
