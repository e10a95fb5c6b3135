import Certificates
import Foundation
import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import Spec

/// TLS on Kubernetes: when the spec turns it on, the pods mount the TLS Secret. `deploy` makes it
/// (and a CA kept in a Secret of its own) when it is not there and the spec names no cert-manager
/// issuer; one that is there, the operator's or cert-manager's, is used as it is.
extension KubernetesPlatform {
    /// The two Secrets to create, or nil when TLS is off or the TLS Secret already exists. A CA
    /// Secret left from an earlier deploy signs the new certificate, so clients that trust it keep
    /// working.
    func tlsSecretsToCreate(for deployment: RedisDeployment) async throws -> [CoreV1.Secret]? {
        let spec = deployment.spec
        // With an issuer, cert-manager makes the Secret from the Certificate deploy applies.
        guard spec.tls.enabled, spec.tls.issuer == nil else { return nil }
        let path = CoreV1.Secret.resource.objectPath(name: spec.tls.secretName, namespace: namespace)
        if try await client.get(path) != nil { return nil }
        let now = Date()
        let authorityName = TLSSecretsBuilder.authoritySecretName(for: deployment)
        let authority: CertificateAuthority
        do {
            if let kept = try await secretValues(named: authorityName) {
                guard let certificate = kept["ca.crt"], let key = kept["ca.key"] else {
                    throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(authorityName) lacks ca.crt or ca.key; "
                                         + "put them back or delete the Secret (nothing was changed)")
                }
                authority = try CertificateAuthority(certificatePEM: certificate, privateKeyPEM: key,
                                                     what: "Secret \(namespace)/\(authorityName)")
            } else {
                authority = try CertificateAuthority.create(commonName: "redisctl \(deployment.metadata.name) CA",
                                                            validity: CertificateRotationStep.authorityValidity, now: now)
            }
            let names = TLSSecretsBuilder.certificateNames(for: deployment)
            let issued = try authority.issue(
                CertificateRequest(commonName: "\(deployment.metadata.name).\(namespace)", dnsNames: names.dnsNames,
                                   ipAddresses: names.ipAddresses, validity: CertificateRotationStep.nodeCertificateValidity), now: now)
            return TLSSecretsBuilder.build(for: deployment, material: GeneratedTLSMaterial(
                caCertificatePEM: authority.issued.certificatePEM, caKeyPEM: authority.issued.privateKeyPEM,
                certificatePEM: issued.certificatePEM, keyPEM: issued.privateKeyPEM))
        } catch let error as CertificateError {
            throw GeneralFailure(.cannotRun, "TLS for \(namespace)/\(deployment.metadata.name): \(error)")
        }
    }
}
