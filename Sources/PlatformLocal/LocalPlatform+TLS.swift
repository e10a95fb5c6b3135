import Certificates
import Foundation
import Platforms
import RedisCtlCore
import RESP
import Spec

/// TLS on the local platform: the cluster's own CA in `<cluster>/tls`, and one certificate per pod
/// (its loopback address and name) in the pod's directory. Keys are owner-only; nothing kept is
/// replaced on a guess: an unreadable CA fails the command, naming the file.
extension LocalPlatform {
    /// The CA lasts ten years, a node's certificate one; a node's is renewed by the deploy that
    /// finds it within 30 days of its end (it is loaded at the pod's next start).
    static let authorityValidity: Duration = .seconds(10 * 365 * 86_400)
    static let nodeCertificateValidity: Duration = .seconds(365 * 86_400)
    static let renewalMargin: Duration = .seconds(30 * 86_400)

    var tlsDirectory: URL { clusterDirectory.appendingPathComponent("tls", isDirectory: true) }
    var caCertificateURL: URL { tlsDirectory.appendingPathComponent("ca.crt") }
    var caKeyURL: URL { tlsDirectory.appendingPathComponent("ca.key") }

    func tlsFiles(ordinal: Int) -> RedisConfigBuilder.TLSFiles {
        let directory = podDirectory(ordinal).appendingPathComponent("tls", isDirectory: true)
        return .init(certificate: directory.appendingPathComponent("tls.crt").path,
                     key: directory.appendingPathComponent("tls.key").path,
                     caCertificates: caCertificateURL.path)
    }

    /// What a pod's certificate names: its address (clients dial it) and its name.
    func certificateRequest(ordinal: Int, address: String) -> CertificateRequest {
        CertificateRequest(commonName: podName(ordinal), dnsNames: [podName(ordinal), "localhost"],
                           ipAddresses: [address], validity: Self.nodeCertificateValidity)
    }

    /// Gives every pod up to `podCount` a certificate that fits it, making the CA first when the
    /// cluster has none.
    func ensureCertificates(podCount: Int, subnet: LoopbackSubnet, now: Date, progress: any ProgressReporter) throws {
        let authority = try loadOrCreateAuthority(now: now, progress: progress)
        for ordinal in 0..<podCount {
            let files = tlsFiles(ordinal: ordinal)
            let request = certificateRequest(ordinal: ordinal, address: subnet.address(ordinal: ordinal))
            if let kept = try readSmallFile(URL(fileURLWithPath: files.certificate)),
               FileManager.default.fileExists(atPath: files.key),
               authority.stillFits(kept, request, now: now, margin: Self.renewalMargin) {
                continue
            }
            let issued = try signing { try authority.issue(request, now: now) }
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: files.key).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            // The key first: a certificate is never left beside a key that is not its own.
            try writePrivate(issued.privateKeyPEM, to: URL(fileURLWithPath: files.key))
            try writePrivate(issued.certificatePEM, to: URL(fileURLWithPath: files.certificate))
            progress.detail("\(podName(ordinal)): TLS certificate issued for \(request.ipAddresses.joined(separator: ", "))")
        }
    }

    private func loadOrCreateAuthority(now: Date, progress: any ProgressReporter) throws -> CertificateAuthority {
        let certificate = try readSmallFile(caCertificateURL)
        let key = try readSmallFile(caKeyURL)
        switch (certificate, key) {
        case let (certificate?, key?):
            return try signing { try CertificateAuthority(certificatePEM: certificate, privateKeyPEM: key, what: caCertificateURL.path) }
        case (nil, nil):
            let authority = try signing {
                try CertificateAuthority.create(commonName: "redisctl \(clusterName) CA", validity: Self.authorityValidity, now: now)
            }
            try FileManager.default.createDirectory(at: tlsDirectory, withIntermediateDirectories: true)
            try writePrivate(authority.issued.privateKeyPEM, to: caKeyURL)
            try writePrivate(authority.issued.certificatePEM, to: caCertificateURL)
            progress.step("TLS: made the cluster's CA, \(caCertificateURL.path)")
            return authority
        case (nil, _?):
            throw GeneralFailure(.cannotRun, "\(caKeyURL.path) is there without \(caCertificateURL.path); "
                                 + "put the CA certificate back (nothing was changed)")
        case (_?, nil):
            throw GeneralFailure(.cannotRun, "\(caCertificateURL.path) is there without its key \(caKeyURL.path); "
                                 + "put the key back (nothing was changed)")
        }
    }

    private func signing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CertificateError {
            throw GeneralFailure(.cannotRun, "TLS for local cluster \(clusterName): \(error)")
        }
    }

    /// A PEM file (at most 1 MiB), nil when it does not exist.
    func readSmallFile(_ url: URL) throws -> String? {
        let data: Data
        do {
            guard let read = try SmallFile.read(url.path) else { return nil }
            data = read
        } catch .tooLarge {
            throw GeneralFailure(.cannotRun, "\(url.path) is larger than 1 MiB; not a PEM file")
        } catch .unreadable(let reason) {
            throw GeneralFailure(.cannotRun, "cannot read \(url.path): \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GeneralFailure(.cannotRun, "\(url.path) is not a PEM file (not text)")
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
