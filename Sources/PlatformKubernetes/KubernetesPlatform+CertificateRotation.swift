import Certificates
import Foundation
import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import Spec

/// `rotate-certs` on Kubernetes: the TLS Secret (one certificate for every pod) and the CA Secret
/// beside it are rewritten; the kubelet brings each pod's mounted copy up to date, and the command
/// waits for that before a node loads the files. A TLS Secret that redisctl did not make (no CA
/// Secret beside it: cert-manager's, an operator's) is only reloaded, never rewritten.
extension KubernetesPlatform: CertificateRotating {
    /// The Secrets as they are.
    private struct TLSState {
        var trusted: TrustBundle
        var certificatePEM: String
        var keyPEM: String
        /// Nil for a TLS Secret that is not redisctl's.
        var signing: CertificateAuthority?
        var next: CertificateAuthority?
    }

    public func stageCertificates(_ step: CertificateRotationStep, for deployment: RedisDeployment, pods: [PodEndpoint],
                                  now: Date, progress: any ProgressReporter) async throws -> NodeCertificates {
        var state = try await readTLSState(deployment)
        let secretName = "Secret \(namespace)/\(deployment.spec.tls.secretName)"
        var summary: String
        var awaitsRetirement = false
        switch step {
        case .reload:
            summary = "the nodes reloaded the certificate in \(secretName)"
        case .renew:
            let signing = try ownAuthority(state, deployment)
            try await writeNodeCertificate(&state, from: signing, deployment: deployment, now: now, progress: progress)
            summary = "a new node certificate in \(secretName)"
        case .newAuthority:
            let signing = try ownAuthority(state, deployment)
            if state.next == nil {
                let next = try certificateStep {
                    try CertificateAuthority.create(commonName: CertificateRotationStep.authorityName(cluster: deployment.metadata.name, now: now),
                                                    validity: CertificateRotationStep.authorityValidity, now: now)
                }
                try await apply(TLSSecretsBuilder.authoritySecret(
                    for: deployment, certificatePEM: signing.issued.certificatePEM, keyPEM: signing.issued.privateKeyPEM,
                    next: (next.issued.certificatePEM, next.issued.privateKeyPEM)))
                progress.step("TLS: made a new CA in Secret \(namespace)/\(TLSSecretsBuilder.authoritySecretName(for: deployment)) (next-ca.crt)")
                state.next = next
            }
            if let next = state.next, !state.trusted.contains(next) {
                state.trusted = state.trusted.adding(next)
                try await writePodSecret(state, deployment)
            }
            summary = "the nodes and \(secretName) key ca.crt trust the old and the new CA; give clients that bundle, "
                + "then run rotate-certs --finish"
        case .finish:
            if let next = state.next {
                if !next.signed(state.certificatePEM) {
                    try await writeNodeCertificate(&state, from: next, deployment: deployment, now: now, progress: progress)
                }
                summary = "a node certificate from the new CA in \(secretName)"
                awaitsRetirement = true
            } else {
                summary = "no CA rotation under way; the nodes reloaded the certificate in \(secretName)"
            }
        }
        return try certificates(state, deployment, pods: pods, now: now, summary: summary, awaitsRetirement: awaitsRetirement)
    }

    public func retireOldAuthority(for deployment: RedisDeployment, pods: [PodEndpoint], now: Date,
                                   progress: any ProgressReporter) async throws -> NodeCertificates {
        var state = try await readTLSState(deployment)
        guard let next = state.next else {
            throw GeneralFailure(.cannotRun, "\(namespace)/\(deployment.metadata.name) has no CA rotation under way")
        }
        // The pods' trust first: a run cut short here still reads back as the same rotation (the CA
        // Secret keeps next-ca.*) and the next --finish ends it.
        state.trusted = TrustBundle([next])
        try await writePodSecret(state, deployment)
        try await apply(TLSSecretsBuilder.authoritySecret(
            for: deployment, certificatePEM: next.issued.certificatePEM, keyPEM: next.issued.privateKeyPEM))
        state.signing = next
        state.next = nil
        progress.step("TLS: Secret \(namespace)/\(deployment.spec.tls.secretName) trusts the new CA only")
        return try certificates(state, deployment, pods: pods, now: now, summary: "the old CA is trusted no more",
                                proofFrom: next)
    }

    // MARK: Reading and writing the Secrets

    private func readTLSState(_ deployment: RedisDeployment) async throws -> TLSState {
        let name = deployment.spec.tls.secretName
        guard deployment.spec.tls.enabled else {
            throw GeneralFailure(.cannotRun, "TLS is off for \(namespace)/\(deployment.metadata.name); there are no certificates to rotate")
        }
        guard let pods = try await secretValues(named: name) else {
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name) is not there; run deploy first")
        }
        guard let trusted = pods["ca.crt"], let certificate = pods["tls.crt"], let key = pods["tls.key"] else {
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name) lacks ca.crt, tls.crt or tls.key; fix it (nothing was changed)")
        }
        let authorityName = TLSSecretsBuilder.authoritySecretName(for: deployment)
        let kept = try await secretValues(named: authorityName)
        return try certificateStep {
            let bundle = try TrustBundle(pem: trusted, what: "Secret \(namespace)/\(name) key ca.crt")
            var state = TLSState(trusted: bundle, certificatePEM: certificate, keyPEM: key)
            guard let authority = kept else { return state }
            guard let signingCertificate = authority["ca.crt"], let signingKey = authority["ca.key"] else {
                throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(authorityName) lacks ca.crt or ca.key; "
                                     + "put them back (nothing was changed)")
            }
            state.signing = try CertificateAuthority(certificatePEM: signingCertificate, privateKeyPEM: signingKey,
                                                     what: "Secret \(namespace)/\(authorityName)")
            if let nextCertificate = authority["next-ca.crt"], let nextKey = authority["next-ca.key"] {
                state.next = try CertificateAuthority(certificatePEM: nextCertificate, privateKeyPEM: nextKey,
                                                      what: "Secret \(namespace)/\(authorityName) next-ca")
            }
            return state
        }
    }

    private func ownAuthority(_ state: TLSState, _ deployment: RedisDeployment) throws -> CertificateAuthority {
        guard let signing = state.signing else {
            let name = deployment.spec.tls.secretName
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name) was not made by redisctl (there is no "
                                 + "\(TLSSecretsBuilder.authoritySecretName(for: deployment)) beside it); renew it where it was "
                                 + "made, then run rotate-certs --reload (nothing was changed)")
        }
        return signing
    }

    private func writeNodeCertificate(_ state: inout TLSState, from authority: CertificateAuthority, deployment: RedisDeployment,
                                      now: Date, progress: any ProgressReporter) async throws {
        let names = TLSSecretsBuilder.certificateNames(for: deployment)
        let issued = try certificateStep {
            try authority.issue(CertificateRequest(commonName: "\(deployment.metadata.name).\(namespace)", dnsNames: names.dnsNames,
                                                   ipAddresses: names.ipAddresses,
                                                   validity: CertificateRotationStep.nodeCertificateValidity), now: now)
        }
        state.certificatePEM = issued.certificatePEM
        state.keyPEM = issued.privateKeyPEM
        try await writePodSecret(state, deployment)
        progress.step("TLS: a new certificate in Secret \(namespace)/\(deployment.spec.tls.secretName)")
    }

    private func writePodSecret(_ state: TLSState, _ deployment: RedisDeployment) async throws {
        try await apply(TLSSecretsBuilder.podSecret(for: deployment, trustedPEM: state.trusted.pem,
                                                    certificatePEM: state.certificatePEM, keyPEM: state.keyPEM))
    }

    /// Server-side apply, taking the fields over from the create that made the Secret.
    private func apply(_ secret: CoreV1.Secret) async throws {
        try await client.apply(secret.objectPath, body: try YAMLRenderer.render(secret), fieldManager: Self.fieldManager, force: true)
    }

    private func certificates(_ state: TLSState, _ deployment: RedisDeployment, pods: [PodEndpoint], now: Date, summary: String,
                              awaitsRetirement: Bool = false, proofFrom: CertificateAuthority? = nil) throws -> NodeCertificates {
        guard let der = certificateDER(fromPEM: state.certificatePEM) else {
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(deployment.spec.tls.secretName) key tls.crt is not a PEM certificate")
        }
        let trust = NodeTrust(caCertificatesPEM: state.trusted.pem,
                              location: "Secret \(namespace)/\(deployment.spec.tls.secretName) key ca.crt",
                              serverName: ManifestNames(deployment).tlsServerName)
        let proof = try (proofFrom ?? state.next).map { authority in try certificateStep { try CertificateRotationStep.proof(from: authority, now: now) } }
        return NodeCertificates(trust: trust, served: Dictionary(uniqueKeysWithValues: pods.map { ($0.name, der) }), proof: proof,
                                summary: summary, awaitsRetirement: awaitsRetirement)
    }

    private func certificateStep<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CertificateError {
            throw GeneralFailure(.cannotRun, "TLS for \(namespace)/\(deployment.metadata.name): \(error)")
        }
    }
}
