import Certificates
import Foundation
import Platforms
import RedisCtlCore
import Spec

/// `rotate-certs` on the local platform: new files under the pods' usual names (redis.conf does not
/// change, so a restart loads what a rotation loaded), written whole and key first.
extension LocalPlatform: CertificateRotating {
    public func stageCertificates(_ step: CertificateRotationStep, for deployment: RedisDeployment, pods: [PodEndpoint],
                                  now: Date, progress: any ProgressReporter) async throws -> NodeCertificates {
        guard deployment.spec.tls.enabled else {
            throw GeneralFailure(.cannotRun, "TLS is off for local cluster \(clusterName); there are no certificates to rotate")
        }
        guard var authorities = try readAuthorities() else {
            throw GeneralFailure(.cannotRun, "local cluster \(clusterName) has no CA at \(caCertificateURL.path); "
                                 + "run deploy --platform local first")
        }
        var summary: String
        var awaitsRetirement = false
        let leaves: [String: String]
        switch step {
        case .reload:
            leaves = try issue(pods, now: now, progress: progress) { _, _ in nil }
            summary = "the nodes reloaded their certificates"
        case .renew:
            let signer = authorities.signing
            leaves = try issue(pods, now: now, progress: progress) { _, _ in signer }
            summary = "new node certificates from \(caCertificateURL.path)"
        case .newAuthority:
            if authorities.next == nil {
                authorities.next = try makeNextAuthority(now: now, progress: progress)
            }
            if let next = authorities.next, !authorities.trusted.contains(next) {
                authorities.trusted = authorities.trusted.adding(next)
                try writePrivate(authorities.trusted.pem, to: caCertificateURL)
            }
            leaves = try issue(pods, now: now, progress: progress) { _, _ in nil }
            summary = "the nodes and \(caCertificateURL.path) trust the old and the new CA; give clients that file, "
                + "then run rotate-certs --finish"
        case .finish:
            guard let next = authorities.next else {
                leaves = try issue(pods, now: now, progress: progress) { _, _ in nil }
                summary = "no CA rotation under way; the nodes reloaded their certificates"
                break
            }
            leaves = try issue(pods, now: now, progress: progress) { kept, request in
                next.stillFits(kept, request, now: now, margin: Self.renewalMargin) ? nil : next
            }
            summary = "node certificates from the new CA"
            awaitsRetirement = true
        }
        let proof = try authorities.next.map { try CertificateRotationStep.proof(from: $0, now: now) }
        return NodeCertificates(trust: try trust(), served: try served(leaves), proof: proof, summary: summary,
                                awaitsRetirement: awaitsRetirement)
    }

    public func retireOldAuthority(for deployment: RedisDeployment, pods: [PodEndpoint], now: Date,
                                   progress: any ProgressReporter) async throws -> NodeCertificates {
        guard let authorities = try readAuthorities(), let next = authorities.next else {
            throw GeneralFailure(.cannotRun, "local cluster \(clusterName) has no CA rotation under way")
        }
        // In this order every cut-short state reads back as the same rotation: the key moves while
        // ca.crt still holds both CAs, then ca.crt keeps the new one, then next-ca.crt goes.
        if FileManager.default.fileExists(atPath: nextCAKeyURL.path) {
            guard rename(nextCAKeyURL.path, caKeyURL.path) == 0 else {
                throw GeneralFailure(.operationFailed, "cannot move \(nextCAKeyURL.path) to \(caKeyURL.path): \(String(cString: strerror(errno)))")
            }
        }
        try writePrivate(TrustBundle([next]).pem, to: caCertificateURL)
        try FileManager.default.removeItem(at: nextCACertificateURL)
        progress.step("TLS: \(caCertificateURL.path) trusts the new CA only")
        let leaves = try issue(pods, now: now, progress: progress) { _, _ in nil }
        return NodeCertificates(trust: try trust(), served: try served(leaves),
                                proof: try CertificateRotationStep.proof(from: next, now: now),
                                summary: "the old CA is trusted no more")
    }

    private func makeNextAuthority(now: Date, progress: any ProgressReporter) throws -> CertificateAuthority {
        let authority = try signing {
            try CertificateAuthority.create(commonName: CertificateRotationStep.authorityName(cluster: clusterName, now: now),
                                            validity: CertificateRotationStep.authorityValidity, now: now)
        }
        try writePrivate(authority.issued.privateKeyPEM, to: nextCAKeyURL)
        try writePrivate(authority.issued.certificatePEM, to: nextCACertificateURL)
        progress.step("TLS: made a new CA, \(nextCACertificateURL.path)")
        return authority
    }

    /// Each pod's certificate after `signer` chose which to replace (see `issueCertificate`), by pod name.
    private func issue(_ pods: [PodEndpoint], now: Date, progress: any ProgressReporter,
                       signer: (String, CertificateRequest) -> CertificateAuthority?) throws -> [String: String] {
        var leaves: [String: String] = [:]
        for pod in pods {
            leaves[pod.name] = try issueCertificate(ordinal: pod.ordinal, address: pod.endpoint.host, now: now,
                                                    progress: progress, signer: signer)
        }
        return leaves
    }

    private func served(_ leaves: [String: String]) throws -> [String: [UInt8]] {
        try leaves.mapValues { pem in
            guard let der = certificateDER(fromPEM: pem) else {
                throw GeneralFailure(.cannotRun, "a node certificate of local cluster \(clusterName) is not a PEM certificate")
            }
            return der
        }
    }

    private func trust() throws -> NodeTrust {
        guard let ca = try readSmallFile(caCertificateURL) else {
            throw GeneralFailure(.cannotRun, "\(caCertificateURL.path) disappeared during the rotation")
        }
        return NodeTrust(caCertificatesPEM: ca, location: caCertificateURL.path, caFile: caCertificateURL.path)
    }
}
