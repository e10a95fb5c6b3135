import RedisCtlCore

/// Why manifests could not be built or written.
public struct ManifestsError: RedisCtlFailure, Equatable {
    private enum Reason: Equatable {
        case invalidSpec(field: String, reason: String)
        case encodingFailed(object: String, reason: String)
        case writeFailed(path: String, reason: String)
    }

    private let reason: Reason

    public var category: FailureCategory {
        switch reason {
        case .invalidSpec: .cannotRun
        case .encodingFailed, .writeFailed: .operationFailed
        }
    }

    public var message: String {
        switch reason {
        case .invalidSpec(let field, let reason):
            "\(field): \(reason)"
        case .encodingFailed(let object, let reason):
            "could not render \(object) as YAML: \(reason)"
        case .writeFailed(let path, let reason):
            "could not write \(path): \(reason)"
        }
    }

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
