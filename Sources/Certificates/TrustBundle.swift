import Crypto
import Foundation
import RedisCtlCore
import SwiftASN1
import X509

/// The CA certificates nodes and clients trust, as one PEM file holds them: one CA, or the old and
/// the new side by side while a CA rotation is under way.
public struct TrustBundle: Sendable, Equatable {
    /// Each certificate's PEM, in file order, without duplicates.
    public private(set) var certificatesPEM: [String]

    /// `what` names where the text came from, for errors. Anything but PEM certificates fails.
    public init(pem: String, what: String) throws {
        let blocks: [PEMDocument]
        do {
            blocks = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw CertificateError.unreadable(what: what, reason: "not PEM (\(error))")
        }
        guard !blocks.isEmpty else { throw CertificateError.unreadable(what: what, reason: "holds no certificate") }
        var certificates: [String] = []
        for block in blocks {
            do {
                let certificate = try Certificate(pemDocument: block)
                let text = try certificate.serializeAsPEM().pemString + "\n"
                if !certificates.contains(text) { certificates.append(text) }
            } catch {
                throw CertificateError.unreadable(what: what, reason: "a \(block.discriminator) block that is not a certificate")
            }
        }
        certificatesPEM = certificates
    }

    public init(_ authorities: [CertificateAuthority]) {
        var certificates: [String] = []
        for authority in authorities where !certificates.contains(authority.issued.certificatePEM) {
            certificates.append(authority.issued.certificatePEM)
        }
        certificatesPEM = certificates
    }

    /// The file's text.
    public var pem: String { certificatesPEM.joined() }

    public func contains(_ authority: CertificateAuthority) -> Bool {
        certificatesPEM.contains(authority.issued.certificatePEM)
    }

    /// The bundle with `authority` added at the end (unchanged when it is there).
    public func adding(_ authority: CertificateAuthority) -> TrustBundle {
        var bundle = self
        if !contains(authority) { bundle.certificatesPEM.append(authority.issued.certificatePEM) }
        return bundle
    }
}

extension CertificateAuthority {
    /// The CA of `bundle` whose public key is `privateKeyPEM`'s: the one that signs while the bundle
    /// also trusts another. `what` names where they came from, for errors.
    public init(signingFrom bundle: TrustBundle, privateKeyPEM: String, what: String) throws {
        var lastError: CertificateError = .keyMismatch(what: what)
        for certificate in bundle.certificatesPEM {
            do {
                self = try CertificateAuthority(certificatePEM: certificate, privateKeyPEM: privateKeyPEM, what: what)
                return
            } catch let error as CertificateError {
                if case .unreadable = error { lastError = error }
            }
        }
        throw lastError
    }

    /// True when this CA signed `certificatePEM`.
    public func signed(_ certificatePEM: String) -> Bool {
        guard let leaf = try? Certificate(pemEncoded: certificatePEM) else { return false }
        return isIssuer(of: leaf)
    }
}

/// The DER bytes of a PEM certificate: what a node presents in the handshake, to compare with it.
public func certificateDER(fromPEM pem: String) -> [UInt8]? {
    guard let document = try? PEMDocument(pemString: pem), document.discriminator == "CERTIFICATE" else { return nil }
    return document.derBytes
}

/// A certificate's SHA-256 fingerprint in hex, as `openssl x509 -fingerprint -sha256` shows it
/// (without the colons, lowercase).
public func certificateFingerprint(_ der: [UInt8]) -> String {
    lowercaseHex(SHA256.hash(data: der))
}
