import Crypto
import Foundation
import RedisCtlCore
import SwiftASN1
import X509

/// A certificate and its private key, both PEM: what redis.conf's `tls-cert-file` and
/// `tls-key-file` (or a `kubernetes.io/tls` Secret) hold.
public struct IssuedCertificate: Sendable, Equatable {
    public var certificatePEM: String
    public var privateKeyPEM: String
}

/// What a node's certificate must say: the names and addresses clients check it against.
public struct CertificateRequest: Sendable, Equatable {
    public var commonName: String
    public var dnsNames: [String]
    /// IPv4 or IPv6 literals.
    public var ipAddresses: [String]
    public var validity: Duration

    public init(commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [], validity: Duration) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.validity = validity
    }
}

public enum CertificateError: Error, Equatable, CustomStringConvertible {
    /// A PEM file that is not a certificate or key of the kind expected.
    case unreadable(what: String, reason: String)
    /// A CA key that does not belong to the CA certificate beside it.
    case keyMismatch(what: String)
    case invalidAddress(String)
    case signingFailed(String)

    public var description: String {
        switch self {
        case .unreadable(let what, let reason): "\(what) is not readable: \(reason)"
        case .keyMismatch(let what): "\(what): the private key is not the certificate's"
        case .invalidAddress(let address): "'\(address)' is not an IP address"
        case .signingFailed(let reason): "cannot sign the certificate: \(reason)"
        }
    }
}

/// The deployment's own certificate authority: a self-signed P-256 CA that signs the nodes'
/// certificates. The nodes trust it for the cluster bus and replication, clients to reach them.
public struct CertificateAuthority: Sendable {
    public let issued: IssuedCertificate
    private let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    /// A new CA, valid from a minute before `now` (clocks a little behind still accept it).
    public static func create(commonName: String, validity: Duration, now: Date) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { OrganizationName("redisctl"); CommonName(commonName) }
        do {
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(validity.seconds),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: .init(key.publicKey))
                },
                issuerPrivateKey: .init(key))
            return try CertificateAuthority(certificate: certificate, key: key)
        } catch let error as CertificateError {
            throw error
        } catch {
            throw CertificateError.signingFailed(String(describing: error))
        }
    }

    /// The CA kept from an earlier run. `what` names where it came from, for errors.
    public init(certificatePEM: String, privateKeyPEM: String, what: String) throws {
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw CertificateError.unreadable(what: "\(what) certificate", reason: String(describing: error))
        }
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw CertificateError.unreadable(what: "\(what) key", reason: "not a PEM P-256 private key")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw CertificateError.keyMismatch(what: what)
        }
        try self.init(certificate: certificate, key: key)
    }

    private init(certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        self.certificate = certificate
        self.key = key
        do {
            issued = IssuedCertificate(certificatePEM: try certificate.serializeAsPEM().pemString + "\n",
                                       privateKeyPEM: key.pemRepresentation + "\n")
        } catch {
            throw CertificateError.signingFailed(String(describing: error))
        }
    }

    /// A certificate for a node, usable as server and as client (the cluster bus and replication
    /// dial peers with it).
    public func issue(_ request: CertificateRequest, now: Date) throws -> IssuedCertificate {
        let nodeKey = P256.Signing.PrivateKey()
        var names = request.dnsNames.map { GeneralName.dnsName($0) }
        for address in request.ipAddresses {
            guard let bytes = Self.addressBytes(address) else { throw CertificateError.invalidAddress(address) }
            names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        do {
            let subject = try DistinguishedName { OrganizationName("redisctl"); CommonName(request.commonName) }
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(nodeKey.publicKey),
                notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(request.validity.seconds),
                issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                    try ExtendedKeyUsage([.serverAuth, .clientAuth])
                    SubjectAlternativeNames(names)
                    SubjectKeyIdentifier(hash: .init(nodeKey.publicKey))
                    // Names the signing CA's key: while two CAs are trusted, verifiers find the right one.
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
                },
                issuerPrivateKey: .init(key))
            return IssuedCertificate(certificatePEM: try certificate.serializeAsPEM().pemString + "\n",
                                     privateKeyPEM: nodeKey.pemRepresentation + "\n")
        } catch {
            throw CertificateError.signingFailed(String(describing: error))
        }
    }

    /// True when `certificatePEM` is signed by this CA, valid at `now` for at least `margin` more,
    /// and names every name and address of `request`: a kept certificate that still fits.
    public func stillFits(_ certificatePEM: String, _ request: CertificateRequest, now: Date, margin: Duration) -> Bool {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM),
              isIssuer(of: certificate),
              certificate.notValidBefore <= now,
              certificate.notValidAfter > now.addingTimeInterval(margin.seconds),
              let names = try? certificate.extensions.subjectAlternativeNames
        else { return false }
        let dns = Set(names.compactMap { if case .dnsName(let name) = $0 { name } else { nil } })
        let addresses = Set(names.compactMap { if case .ipAddress(let octets) = $0 { Array(octets.bytes) } else { nil } })
        return Set(request.dnsNames).isSubset(of: dns)
            && request.ipAddresses.allSatisfy { Self.addressBytes($0).map(addresses.contains) ?? false }
    }

    func isIssuer(of certificate: Certificate) -> Bool {
        certificate.issuer == self.certificate.subject
            && self.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    private var authorityKeyIdentifier: ArraySlice<UInt8> {
        (try? certificate.extensions.subjectKeyIdentifier)??.keyIdentifier
            ?? SubjectKeyIdentifier(hash: .init(key.publicKey)).keyIdentifier
    }

    static func addressBytes(_ address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

extension Duration {
    var seconds: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
