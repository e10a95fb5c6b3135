import Foundation
import RedisCtlCore

/// A request the API server refused (its Status object), or one that never got an answer.
public struct KubernetesAPIError: RedisCtlFailure, Equatable {
    /// The Status `reason` (`NotFound`, `AlreadyExists`, …), or why no answer came.
    public struct Reason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notFound = Reason(rawValue: "NotFound")
        public static let alreadyExists = Reason(rawValue: "AlreadyExists")
        public static let conflict = Reason(rawValue: "Conflict")
        public static let invalid = Reason(rawValue: "Invalid")
        public static let badRequest = Reason(rawValue: "BadRequest")
        public static let forbidden = Reason(rawValue: "Forbidden")
        public static let unauthorized = Reason(rawValue: "Unauthorized")
        public static let unsupportedMediaType = Reason(rawValue: "UnsupportedMediaType")
        public static let gone = Reason(rawValue: "Expired")
        public static let tooManyRequests = Reason(rawValue: "TooManyRequests")
        public static let serviceUnavailable = Reason(rawValue: "ServiceUnavailable")
        public static let internalError = Reason(rawValue: "InternalError")
        /// No HTTP answer at all: refused, reset, timed out.
        public static let unreachable = Reason(rawValue: "Unreachable")
        /// The TLS handshake failed (untrusted certificate, wrong name, client certificate refused).
        public static let tlsFailed = Reason(rawValue: "TLSFailed")
        /// An answer that is not what the API promises (e.g. not JSON).
        public static let invalidResponse = Reason(rawValue: "InvalidResponse")
        /// The request could not be built from what the caller gave (e.g. YAML that does not parse).
        public static let invalidRequest = Reason(rawValue: "InvalidRequest")
    }

    /// HTTP status; 0 when no answer came.
    public let code: Int
    public let reason: Reason
    /// The server's own message (or the transport error), unedited.
    public let serverMessage: String
    public let category: FailureCategory
    public let message: String

    public init(code: Int, reason: Reason, serverMessage: String, category: FailureCategory, message: String) {
        self.code = code
        self.reason = reason
        self.serverMessage = serverMessage
        self.category = category
        self.message = message
    }

    public var isNotFound: Bool { code == 404 }
    public var isAlreadyExists: Bool { code == 409 && reason == .alreadyExists }
    public var isConflict: Bool { code == 409 && reason == .conflict }
    public var isGone: Bool { code == 410 }

    static func unreachable(_ server: URL, _ underlying: any Error) -> KubernetesAPIError {
        let detail = String(describing: underlying)
        return KubernetesAPIError(
            code: 0, reason: .unreachable, serverMessage: detail, category: .cannotRun,
            message: "cannot reach the Kubernetes API server at \(server.absoluteString): \(detail)"
        )
    }

    /// The TLS handshake failed: the verdict is final, so it is reported at once with what to check.
    static func tlsFailed(_ server: URL, _ reason: String) -> KubernetesAPIError {
        KubernetesAPIError(code: 0, reason: .tlsFailed, serverMessage: reason, category: .cannotRun,
                           message: "TLS handshake with the Kubernetes API server at \(server.absoluteString) failed: \(reason)")
    }

    static func invalidRequest(_ text: String) -> KubernetesAPIError {
        KubernetesAPIError(code: 0, reason: .invalidRequest, serverMessage: text, category: .operationFailed, message: text)
    }

    static func invalidResponse(_ method: String, _ path: String, _ text: String) -> KubernetesAPIError {
        KubernetesAPIError(
            code: 0, reason: .invalidResponse, serverMessage: text, category: .operationFailed,
            message: "unexpected answer to \(method) \(path): \(text)"
        )
    }

    /// Builds the error from a non-2xx answer, reading the Status object when there is one.
    static func fromResponse(
        status: Int, body: Data, method: String, path: String, verb: String, server: URL
    ) -> KubernetesAPIError {
        let statusObject = try? KubeJSON(data: body)
        let serverMessage = statusObject?["message"].string
            ?? String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = statusObject?["reason"].string.map(Reason.init(rawValue:)) ?? defaultReason(status)
        let category: FailureCategory
        let message: String
        switch status {
        case 401:
            category = .cannotRun
            message = "authentication refused by \(server.absoluteString): \(serverMessage.isEmpty ? "Unauthorized" : serverMessage)"
        case 403:
            category = .cannotRun
            message = forbiddenMessage(verb: verb, path: path, serverMessage: serverMessage)
        case 422:
            category = .operationFailed
            message = "invalid object for \(method) \(path): \(serverMessage)"
        default:
            category = .operationFailed
            message = "\(method) \(path) failed with \(status) \(reason): \(serverMessage)"
        }
        return KubernetesAPIError(code: status, reason: reason, serverMessage: serverMessage, category: category, message: message)
    }

    private static func defaultReason(_ status: Int) -> Reason {
        switch status {
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 410: .gone
        case 415: .unsupportedMediaType
        case 422: .invalid
        case 429: .tooManyRequests
        case 503: .serviceUnavailable
        default: .internalError
        }
    }

    /// "forbidden: cannot patch statefulsets.apps in namespace redis-system (user system:serviceaccount:…)":
    /// what RBAC rule is missing, in the words a `Role` is written in.
    private static func forbiddenMessage(verb: String, path: String, serverMessage: String) -> String {
        var text = "forbidden: cannot \(verb)"
        if let target = APIPath(path) {
            text += " \(target.qualifiedResource)"
            if let namespace = target.namespace {
                text += " in namespace \(namespace)"
            } else if target.resource == "namespaces", let name = target.name {
                text += " \(name) (cluster-scoped)"
            } else {
                text += " at cluster scope"
            }
        } else {
            text += " \(path)"
        }
        if let user = quotedValue(after: "User \"", in: serverMessage) {
            text += " (user \(user))"
        } else if !serverMessage.isEmpty {
            text += " (\(serverMessage))"
        }
        return text
    }

    private static func quotedValue(after marker: String, in text: String) -> String? {
        guard let start = text.range(of: marker) else { return nil }
        let rest = text[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
