import RedisCtlCore

/// Why manifests could not be built or written.
public struct ManifestsError: RedisCtlFailure, Equatable {
    private enum Reason: Equatable {
        case invalidQuantity(String)
        case invalidSpec(field: String, reason: String)
        case encodingFailed(object: String, reason: String)
        case writeFailed(path: String, reason: String)
    }

    private let reason: Reason

    public var category: FailureCategory {
        switch reason {
        case .invalidQuantity, .invalidSpec: .cannotRun
        case .encodingFailed, .writeFailed: .operationFailed
        }
    }

    public var message: String {
        switch reason {
        case .invalidQuantity(let text):
            "invalid quantity \"\(text)\": expected a number with an optional suffix such as 500m, 8Gi or 1e3"
        case .invalidSpec(let field, let reason):
            "\(field): \(reason)"
        case .encodingFailed(let object, let reason):
            "could not render \(object) as YAML: \(reason)"
        case .writeFailed(let path, let reason):
            "could not write \(path): \(reason)"
        }
    }

    static func invalidQuantity(_ text: String) -> ManifestsError { .init(reason: .invalidQuantity(text)) }
    static func invalidSpec(field: String, reason: String) -> ManifestsError {
        .init(reason: .invalidSpec(field: field, reason: reason))
    }
    static func encodingFailed(object: String, reason: String) -> ManifestsError {
        .init(reason: .encodingFailed(object: object, reason: reason))
    }
    static func writeFailed(path: String, reason: String) -> ManifestsError {
        .init(reason: .writeFailed(path: path, reason: reason))
    }
}
