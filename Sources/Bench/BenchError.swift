import RedisCtlCore

/// A benchmark that cannot run or whose gate failed; `category` decides the exit code.
public struct BenchError: RedisCtlFailure, Equatable {
    public let category: FailureCategory
    public let message: String

    public init(_ category: FailureCategory, _ message: String) {
        self.category = category
        self.message = message
    }
}
