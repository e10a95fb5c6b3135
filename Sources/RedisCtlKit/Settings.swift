import Foundation
import RESP
import RedisCtlCore

public enum OutputFormat: String, Sendable, CaseIterable {
    case text, json
    /// `export NAME=value` lines for `eval`; only `connection` has them.
    case env
}

public enum PlatformKind: String, Sendable, CaseIterable {
    case kubernetes, local
}

/// How RESP reaches Kubernetes pods (CLI.md `--connect`).
public enum ConnectMode: String, Sendable, CaseIterable {
    case direct
    case portForward = "port-forward"
}

public enum Verbosity: Int, Sendable, Comparable {
    case quiet = 0, normal = 1, verbose = 2
    public static func < (lhs: Verbosity, rhs: Verbosity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The global options of every command (CLI.md), already parsed and checked.
/// `--tls`, `--cacert`, `--cert`, `--key`, `--sni`: TLS to the Redis nodes.
public struct TLSSettings: Sendable, Equatable {
    /// PEM file of the authorities to trust; nil: the system's.
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    /// The name the nodes' certificates must carry (and SNI); nil: the address dialled.
    public var serverName: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
    }
}

public struct GlobalSettings: Sendable {
    public var configPath: String?
    public var platform: PlatformKind
    public var name: String?
    public var namespace: String?
    public var stateDirectory: String?
    public var kubeconfig: String?
    public var kubeContext: String?
    public var output: OutputFormat
    public var timeout: Duration
    public var assumeYes: Bool
    public var verbosity: Verbosity
    /// `--nodes`: talk to these Redis nodes instead of discovering pods.
    public var nodes: [RedisEndpoint]?
    public var user: String?
    public var passwordFile: String?
    /// `--connect`: nil picks direct inside a cluster, port-forward outside.
    public var connect: ConnectMode?
    /// `--tls`: nil speaks plain RESP.
    public var tls: TLSSettings?

    public init(configPath: String? = nil, platform: PlatformKind = .kubernetes, name: String? = nil,
                namespace: String? = nil, stateDirectory: String? = nil, kubeconfig: String? = nil,
                kubeContext: String? = nil, output: OutputFormat = .text, timeout: Duration = .seconds(600),
                assumeYes: Bool = false, verbosity: Verbosity = .normal, nodes: [RedisEndpoint]? = nil,
                user: String? = nil, passwordFile: String? = nil, connect: ConnectMode? = nil, tls: TLSSettings? = nil) {
        self.configPath = configPath
        self.platform = platform
        self.name = name
        self.namespace = namespace
        self.stateDirectory = stateDirectory
        self.kubeconfig = kubeconfig
        self.kubeContext = kubeContext
        self.output = output
        self.timeout = timeout
        self.assumeYes = assumeYes
        self.verbosity = verbosity
        self.nodes = nodes
        self.user = user
        self.passwordFile = passwordFile
        self.connect = connect
        self.tls = tls
    }
}

extension GlobalSettings {
    /// `--state-dir` as a directory: a path that names a file is a one-line error (exit 2) before the
    /// local platform reads or creates anything under it. A path that does not exist yet is fine.
    func stateDirectoryURL() throws -> URL? {
        guard let path = stateDirectory else { return nil }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw GeneralFailure(.cannotRun, "--state-dir \(path) is a file, not a directory; give a directory")
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}

/// Where a command writes: results on stdout, progress and errors on stderr.
public struct Console: Sendable {
    public let writeOut: @Sendable (String) -> Void
    public let writeErr: @Sendable (String) -> Void
    /// Whether a person can answer a confirmation prompt.
    public let isInteractive: Bool
    /// Reads one line from the terminal (confirmation answers); nil at end of input.
    public let readLine: @Sendable () -> String?

    public init(writeOut: @escaping @Sendable (String) -> Void, writeErr: @escaping @Sendable (String) -> Void,
                isInteractive: Bool, readLine: @escaping @Sendable () -> String? = { nil }) {
        self.writeOut = writeOut
        self.writeErr = writeErr
        self.isInteractive = isInteractive
        self.readLine = readLine
    }

    /// The process's own stdout and stderr.
    public static var standard: Console {
        Console(
            writeOut: { text in FileHandle.standardOutput.write(Data(text.utf8)) },
            writeErr: { text in FileHandle.standardError.write(Data(text.utf8)) },
            isInteractive: isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1,
            readLine: { Swift.readLine() })
    }
}

/// Progress lines on stderr, filtered by verbosity.
struct ConsoleProgress: ProgressReporter {
    let console: Console
    let verbosity: Verbosity

    func step(_ text: String) { if verbosity >= .normal { console.writeErr(text + "\n") } }
    func detail(_ text: String) { if verbosity >= .verbose { console.writeErr(text + "\n") } }
    func warning(_ text: String) { console.writeErr("warning: " + text + "\n") }
}

/// Everything a command's logic needs; built by the CLI, or by tests with captured output.
public struct CommandContext: Sendable {
    public var settings: GlobalSettings
    public var console: Console
    public var environment: [String: String]
    public var workingDirectory: String

    public init(settings: GlobalSettings, console: Console,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.settings = settings
        self.console = console
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    public var progress: any ProgressReporter { ConsoleProgress(console: console, verbosity: settings.verbosity) }

    /// The overall bound of this command's waits.
    public func deadline() -> Deadline { .after(settings.timeout) }

    /// Asks before a destructive step: `--yes` answers for the operator; without a terminal it fails.
    public func confirm(_ question: String) throws {
        if settings.assumeYes { return }
        guard console.isInteractive else {
            throw GeneralFailure(.operationFailed, "\(question) needs confirmation: run again with --yes (no terminal to ask)")
        }
        console.writeErr("\(question) [y/N] ")
        let answer = console.readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            throw GeneralFailure(.operationFailed, "cancelled: \(question) was not confirmed")
        }
    }

    /// Prints one result: its JSON with `-o json`, else its text.
    func emit<Result: CommandResult>(_ result: Result) throws {
        switch settings.output {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(result)
            console.writeOut(String(decoding: data, as: UTF8.self) + "\n")
        case .env:
            guard let lines = result.environmentLines else {
                throw GeneralFailure(.usage, "-o env is only available for the connection command; use text or json")
            }
            console.writeOut(lines.joined(separator: "\n") + "\n")
        case .text:
            let text = result.text
            if !text.isEmpty { console.writeOut(text.hasSuffix("\n") ? text : text + "\n") }
        }
    }
}

/// A command's outcome: one JSON object for machines, text for people.
protocol CommandResult: Encodable {
    var text: String { get }
    /// `export` lines for `-o env`; nil when the result has none.
    var environmentLines: [String]? { get }
}

extension CommandResult {
    var environmentLines: [String]? { nil }
}
