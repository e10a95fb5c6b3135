import Foundation
import Testing

/// Runs one of the validators that scripts/install-validators.sh installs. A missing tool is a
/// test failure, never a skip: CI installs them all.
struct ExternalTool {
    let name: String

    struct Result {
        let exitCode: Int32
        let output: String
    }

    static let installHint = "run scripts/install-validators.sh (as root) to install the validators"

    /// The tool's path on PATH (plus the usual pip and pyenv locations), or nil.
    var path: String? {
        let environment = ProcessInfo.processInfo.environment
        var directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let home = environment["HOME"] ?? "/root"
        directories += ["\(home)/.pyenv/shims", "\(home)/.local/bin", "/usr/local/bin", "/usr/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the tool with `arguments` in `directory`; records a failure and returns nil when the tool
    /// is not installed.
    func run(_ arguments: [String], in directory: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> Result?
    {
        guard let path else {
            Issue.record("\(name) is not installed: \(Self.installHint)", sourceLocation: sourceLocation)
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read before waiting: a full pipe would block the tool forever.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(exitCode: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
