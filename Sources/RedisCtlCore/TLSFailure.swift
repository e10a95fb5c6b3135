import NIOSSL

/// A failed TLS handshake, classified once for every client (the Kubernetes API, the Redis
/// nodes); each caller names its own fix for the kind.
public struct TLSFailure: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Not signed by a trusted authority, or not valid now.
        case untrustedCertificate
        /// Valid, but for another name than the one checked.
        case wrongName
        /// The other side does not speak TLS on that port.
        case notTLS
        /// The server refused our client certificate (or wanted one).
        case certificateRefused
        case other
    }

    public let kind: Kind
    /// The library's reason codes ("CERTIFICATE_VERIFY_FAILED"), without its source locations.
    public let reason: String

    /// Nil when `error` is not a TLS failure.
    public init?(_ error: any Error) {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            kind = .wrongName
            reason = "hostname validation failed"
            return
        }
        guard error is NIOSSLError || error is BoringSSLError else { return nil }
        let text = String(describing: error)
        // BoringSSL reads "error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at …".
        let codes = text.split(separator: ":").compactMap { part -> String? in
            let word = part.split(separator: " ").first.map(String.init) ?? ""
            return word.count > 3 && word.contains(where: \.isLetter)
                && word.allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber }) ? word : nil
        }
        reason = codes.isEmpty ? String(text.prefix(200)) : codes.joined(separator: ", ")
        if reason.contains("CERTIFICATE_VERIFY_FAILED") {
            kind = .untrustedCertificate
        } else if ["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"].contains(where: reason.contains) {
            kind = .notTLS
        } else if reason.contains("ALERT") {
            kind = .certificateRefused
        } else {
            kind = .other
        }
    }
}
