import Certificates
import Foundation
import Platforms
import RedisCtlCore
import RESP
import Spec

/// TLS on the local platform: the cluster's own CA in `<cluster>/tls`, and one certificate per pod
/// (its loopback address and name) in the pod's directory. Keys are owner-only; nothing kept is
/// replaced on a guess: an unreadable CA fails the command, naming the file.
///
/// `ca.crt` is what nodes and clients trust (during a CA rotation, the old and the new CA), `ca.key`
/// the key of the CA in it that signs; a rotation's new CA waits in `next-ca.crt`/`next-ca.key`.
extension LocalPlatform {
    /// A node's certificate is renewed by the deploy that finds it within 30 days of its end (it is
    /// loaded at the pod's next start, or at once by rotate-certs).
    static let renewalMargin: Duration = .seconds(30 * 86_400)

    var tlsDirectory: URL { clusterDirectory.appendingPathComponent("tls", isDirectory: true) }
    var caCertificateURL: URL { tlsDirectory.appendingPathComponent("ca.crt") }
    var caKeyURL: URL { tlsDirectory.appendingPathComponent("ca.key") }
    var nextCACertificateURL: URL { tlsDirectory.appendingPathComponent("next-ca.crt") }
    var nextCAKeyURL: URL { tlsDirectory.appendingPathComponent("next-ca.key") }

    func tlsFiles(ordinal: Int) -> RedisConfigBuilder.TLSFiles {
        let directory = podDirectory(ordinal).appendingPathComponent("tls", isDirectory: true)
        return .init(certificate: directory.appendingPathComponent("tls.crt").path,
                     key: directory.appendingPathComponent("tls.key").path,
                     caCertificates: caCertificateURL.path)
    }

    /// What a pod's certificate names: its address (clients dial it) and its name.
    func certificateRequest(ordinal: Int, address: String) -> CertificateRequest {
        CertificateRequest(commonName: podName(ordinal), dnsNames: [podName(ordinal), "localhost"],
                           ipAddresses: [address], validity: CertificateRotationStep.nodeCertificateValidity)
    }

    /// The cluster's CAs as the files hold them.
    struct Authorities {
        var trusted: TrustBundle
        /// The CA whose key is `ca.key`.
        var signing: CertificateAuthority
        /// A CA rotation's new CA, until `rotate-certs --finish` retires the old one.
        var next: CertificateAuthority?

        /// A kept certificate is good when a CA whose key we hold signed it and it still fits.
        func fits(_ certificatePEM: String, _ request: CertificateRequest, now: Date) -> Bool {
            ([signing] + (next.map { [$0] } ?? [])).contains {
                $0.stillFits(certificatePEM, request, now: now, margin: LocalPlatform.renewalMargin)
            }
        }
    }

    /// Gives every pod up to `podCount` a certificate that fits it, making the CA first when the
    /// cluster has none.
    func ensureCertificates(podCount: Int, subnet: LoopbackSubnet, now: Date, progress: any ProgressReporter) throws {
        let authorities = try loadOrCreateAuthorities(now: now, progress: progress)
        for ordinal in 0..<podCount {
            try issueCertificate(ordinal: ordinal, address: subnet.address(ordinal: ordinal), now: now, progress: progress) {
                authorities.fits($0, $1, now: now) ? nil : authorities.signing
            }
        }
    }

    /// Writes a new certificate for the pod when `signer` (given the kept certificate, if any, and
    /// what the pod's must name) returns a CA; returns the certificate the pod has now.
    @discardableResult
    func issueCertificate(ordinal: Int, address: String, now: Date, progress: any ProgressReporter,
                          signer: (String, CertificateRequest) -> CertificateAuthority?) throws -> String {
        let files = tlsFiles(ordinal: ordinal)
        let request = certificateRequest(ordinal: ordinal, address: address)
        let kept = try readSmallFile(URL(fileURLWithPath: files.certificate))
        let keyKept = FileManager.default.fileExists(atPath: files.key)
        let authority = signer(keyKept ? kept ?? "" : "", request)
        if let kept, keyKept, authority == nil { return kept }
        guard let authority else {
            throw GeneralFailure(.cannotRun, "\(podName(ordinal)) has no certificate at \(files.certificate)")
        }
        let issued = try signing { try authority.issue(request, now: now) }
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: files.key).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        // The key first: a certificate is never left beside a key that is not its own (a cut-short
        // run leaves a key without its certificate, which the next run replaces).
        try writePrivate(issued.privateKeyPEM, to: URL(fileURLWithPath: files.key))
        try writePrivate(issued.certificatePEM, to: URL(fileURLWithPath: files.certificate))
        progress.detail("\(podName(ordinal)): TLS certificate issued for \(request.ipAddresses.joined(separator: ", "))")
        return issued.certificatePEM
    }

    private func loadOrCreateAuthorities(now: Date, progress: any ProgressReporter) throws -> Authorities {
        if let kept = try readAuthorities() { return kept }
        let authority = try signing {
            try CertificateAuthority.create(commonName: "redisctl \(clusterName) CA",
                                            validity: CertificateRotationStep.authorityValidity, now: now)
        }
        try FileManager.default.createDirectory(at: tlsDirectory, withIntermediateDirectories: true)
        try writePrivate(authority.issued.privateKeyPEM, to: caKeyURL)
        try writePrivate(authority.issued.certificatePEM, to: caCertificateURL)
        progress.step("TLS: made the cluster's CA, \(caCertificateURL.path)")
        return Authorities(trusted: TrustBundle([authority]), signing: authority, next: nil)
    }

    /// The CAs kept in the cluster's directory; nil when it has none yet.
    func readAuthorities() throws -> Authorities? {
        let certificate = try readSmallFile(caCertificateURL)
        let key = try readSmallFile(caKeyURL)
        switch (certificate, key) {
        case let (certificate?, key?):
            let trusted = try signing { try TrustBundle(pem: certificate, what: caCertificateURL.path) }
            let signer = try signing { try CertificateAuthority(signingFrom: trusted, privateKeyPEM: key, what: caCertificateURL.path) }
            var next: CertificateAuthority?
            if let nextCertificate = try readSmallFile(nextCACertificateURL) {
                // Its key moves to ca.key as a rotation ends; until next-ca.crt is gone too, it is still "next".
                let nextKey = try readSmallFile(nextCAKeyURL) ?? key
                next = try signing {
                    try CertificateAuthority(certificatePEM: nextCertificate, privateKeyPEM: nextKey, what: nextCACertificateURL.path)
                }
            }
            return Authorities(trusted: trusted, signing: signer, next: next)
        case (nil, nil):
            return nil
        case (nil, _?):
            throw GeneralFailure(.cannotRun, "\(caKeyURL.path) is there without \(caCertificateURL.path); "
                                 + "put the CA certificate back (nothing was changed)")
        case (_?, nil):
            throw GeneralFailure(.cannotRun, "\(caCertificateURL.path) is there without its key \(caKeyURL.path); "
                                 + "put the key back (nothing was changed)")
        }
    }

    func signing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CertificateError {
            throw GeneralFailure(.cannotRun, "TLS for local cluster \(clusterName): \(error)")
        }
    }

    /// A small text file (a PEM file: at most 1 MiB), nil when it does not exist; `kind` names what
    /// it should be, for errors.
    func readSmallFile(_ url: URL, limit: Int = SmallFile.pemLimit, kind: String = "PEM file") throws -> String? {
        let data: Data
        do {
            guard let read = try SmallFile.read(url.path, limit: limit) else { return nil }
            data = read
        } catch .tooLarge {
            throw GeneralFailure(.cannotRun, "\(url.path) is larger than \(limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit >> 10) KiB"); "
                                 + "not a \(kind)")
        } catch .unreadable(let reason) {
            throw GeneralFailure(.cannotRun, "cannot read \(url.path): \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GeneralFailure(.cannotRun, "\(url.path) is not a \(kind) (not text)")
        }
        return text
    }

    public func nodeTrust(for spec: DeploymentSpec) async throws -> NodeTrust? {
        guard spec.tls.enabled else { return nil }
        guard let ca = try readSmallFile(caCertificateURL) else {
            throw GeneralFailure(.cannotRun, "TLS is on, but local cluster \(clusterName) has no CA at \(caCertificateURL.path); "
                                 + "run deploy --platform local first")
        }
        return NodeTrust(caCertificatesPEM: ca, location: caCertificateURL.path, caFile: caCertificateURL.path)
    }

    /// How the platform itself reaches its pods (readiness pings, live CONFIG SET): over TLS when on.
    func nodeDialer(for spec: DeploymentSpec) async throws -> any RedisDialer {
        guard let trust = try await nodeTrust(for: spec) else { return TCPDialer() }
        return TLSDialer(wrapping: TCPDialer(), tls: try trust.redisTLS())
    }
}
