import NIOSSL

/// NIOSSL client configuration for the API server: the kubeconfig's CA instead of the system
/// roots, the client certificate and key, or no verification at all when the kubeconfig says so.
/// `serverName` is not applied here: the caller sends it as SNI and verifies the certificate against it.
public func makeTLSConfiguration(_ settings: KubeTLSSettings) throws -> TLSConfiguration {
    var configuration = TLSConfiguration.makeClientConfiguration()
    if let caPEM = settings.caPEM {
        let origin = settings.caOrigin ?? "certificate authority"
        configuration.trustRoots = .certificates(try parseCertificates(caPEM, what: "certificate authority", origin: origin))
    }
    if settings.insecureSkipVerify {
        configuration.certificateVerification = .none
    }
    switch (settings.clientCertificatePEM, settings.clientKeyPEM) {
    case (nil, nil):
        break
    case (let certificatePEM?, let keyPEM?):
        let origin = settings.clientCertificateOrigin ?? "client certificate"
        let chain = try parseCertificates(certificatePEM, what: "client certificate", origin: origin)
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(try parsePrivateKey(keyPEM, origin: origin))
        // The TLS library checks that the key belongs to the certificate only when it builds a
        // context: done here, the mismatch is a kubeconfig error now, not an unreachable server
        // after the retries.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            // Both parsed above, so this is the mismatch (NIOSSL reports it as failedToLoadPrivateKey).
            throw KubeConfigError(source: origin, reason: "the client key does not match the client certificate; "
                                  + "check client-certificate-data and client-key-data")
        }
    default:
        throw KubeConfigError(
            source: settings.clientCertificateOrigin ?? "client certificate",
            reason: "a client certificate needs both certificate and key"
        )
    }
    return configuration
}

func parseCertificates(_ pem: [UInt8], what: String, origin: String) throws -> [NIOSSLCertificate] {
    let certificates: [NIOSSLCertificate]
    do {
        certificates = try NIOSSLCertificate.fromPEMBytes(pem)
    } catch {
        throw KubeConfigError(source: origin, reason: "\(what) is not a valid PEM certificate (\(error))")
    }
    guard !certificates.isEmpty else {
        throw KubeConfigError(source: origin, reason: "\(what) holds no PEM certificate")
    }
    return certificates
}

func parsePrivateKey(_ pem: [UInt8], origin: String) throws -> NIOSSLPrivateKey {
    do {
        return try NIOSSLPrivateKey(bytes: pem, format: .pem)
    } catch {
        throw KubeConfigError(source: origin, reason: "client key is not a valid PEM private key (\(error))")
    }
}
