import Foundation

/// Where long-running work reports what it is doing. Progress goes to stderr, never stdout,
/// so `-o json` output stays machine-readable.
public protocol ProgressReporter: Sendable {
    /// A step worth telling the operator about ("meeting 6 nodes").
    func step(_ text: String)
    /// Detail for `--verbose`.
    func detail(_ text: String)
    /// Something the operator should know even with `--quiet`.
    func warning(_ text: String)
}

/// Reports nothing; for tests and library callers that do not care.
public struct SilentProgress: ProgressReporter {
    public init() {}
    public func step(_ text: String) {}
    public func detail(_ text: String) {}
    public func warning(_ text: String) {}
}

/// Collects messages in memory; for tests that assert on what was reported.
public final class RecordingProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    public init() {}
    public var messages: [String] { lock.withLock { recorded } }
    public func step(_ text: String) { lock.withLock { recorded.append(text) } }
    public func detail(_ text: String) { lock.withLock { recorded.append(text) } }
    public func warning(_ text: String) { lock.withLock { recorded.append("warning: " + text) } }
}
