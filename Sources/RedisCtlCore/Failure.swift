/// How a failure maps onto the command-line contract's exit codes (docs: CLI.md "Exit codes").
public enum FailureCategory: Int32, Sendable, Equatable {
    /// The operation ran and failed (exit 1). `verify`: a check failed.
    case operationFailed = 1
    /// The command could not run at all: bad config, unreachable cluster, refused authentication (exit 2).
    case cannotRun = 2
    /// The command line itself is wrong (exit 64).
    case usage = 64
}

/// An error meant for the person at the terminal: one line saying what failed, where, and what to do.
///
/// Every module's error type conforms, so the CLI layer can print `message` and exit with
/// `category` without knowing the module.
public protocol RedisCtlFailure: Error, CustomStringConvertible, Sendable {
    var category: FailureCategory { get }
    /// One line: what failed, on which node or field, and what to do.
    var message: String { get }
}

extension RedisCtlFailure {
    public var description: String { message }
}

/// A failure with no more structure than its category and message.
public struct GeneralFailure: RedisCtlFailure, Equatable {
    public let category: FailureCategory
    public let message: String

    public init(_ category: FailureCategory, _ message: String) {
        self.category = category
        self.message = message
    }
}
