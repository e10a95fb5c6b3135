import RedisCtlCore

/// A backup or restore that cannot go on: a store refusing a request, a corrupt set, a bad RDB.
/// `category` decides the exit code: an unusable backup is `.cannotRun` (exit 2, nothing written).
public struct BackupError: RedisCtlFailure, Equatable {
    public let category: FailureCategory
    public let message: String

    public init(_ category: FailureCategory, _ message: String) {
        self.category = category
        self.message = message
    }
}
