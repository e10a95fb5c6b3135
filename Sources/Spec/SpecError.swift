import RedisCtlCore

/// A spec file that cannot be used: names the field path and the reason.
public struct SpecError: RedisCtlFailure, Equatable {
    /// Dotted path of the offending field, e.g. `spec.redis.maxmemory`.
    public let path: String
    public let reason: String
    /// The file the spec came from, when there is one.
    public let source: String?

    public init(path: String, reason: String, source: String? = nil) {
        self.path = path
        self.reason = reason
        self.source = source
    }

    public var category: FailureCategory { .cannotRun }
    public var message: String {
        let location = source.map { "\($0): " } ?? ""
        return "\(location)invalid spec: \(path.isEmpty ? "(document)" : path): \(reason)"
    }

    func from(_ source: String?) -> SpecError { SpecError(path: path, reason: reason, source: source) }
}
