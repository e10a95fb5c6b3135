import Foundation
import NIOCore
import NIOPosix

/// Why a connect failed, in a few words ("connection refused", "cannot resolve host: …"), for the
/// one-line errors of every dialer (Redis nodes, the API server's port-forward).
public func connectFailureReason(_ error: any Error) -> String {
    switch error {
    case let error as IOError:
        guard let text = strerror(error.errnoCode) else { return "socket error \(error.errnoCode)" }
        return String(cString: text).lowercased()
    case let error as NIOConnectionError:
        if let first = error.connectionErrors.first { return connectFailureReason(first.error) }
        if let dns = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve host: \(dns)" }
        return "no address to connect to"
    case ChannelError.connectTimeout:
        return "connect timed out"
    default:
        return String(describing: error)
    }
}
