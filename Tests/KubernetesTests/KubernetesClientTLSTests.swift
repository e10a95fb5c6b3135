import Foundation
import Kubernetes
import NIOSSL
import RedisCtlCore
import TestSupport
import Testing

/// The client against an API server that serves HTTPS, as every real one does.
@Suite struct KubernetesClientTLSTests {
    static var tlsOptions: FakeAPIServerOptions {
        var options = FakeAPIServerOptions()
        options.tls = (TestPKI.serverCertificate, TestPKI.serverKey)
        return options
    }

    func tlsSettings(ca: String) -> KubeTLSSettings {
        KubeTLSSettings(caPEM: Array(ca.utf8), caOrigin: "/k/config: cluster 'c'")
    }

    @Test func theKubeconfigsAuthorityIsTrusted() async throws {
        let tls = try makeTLSConfiguration(tlsSettings(ca: TestPKI.caCertificate))
        try await withClient(options: Self.tlsOptions, configure: { $0.tlsConfiguration = tls }) { server, client async throws in
            #expect(server.baseURL.scheme == "https")
            #expect(try await client.get(configMapPath("x")) == nil)
        }
    }

    /// Regression test: behind an untrusted CA a request took 57 s with nothing on stderr, and was
    /// reported as an unreachable server. The handshake's verdict is final: one attempt, and the
    /// error says what to fix.
    @Test func anUntrustedServerFailsAtOnceNamingTheCertificate() async throws {
        let tls = try makeTLSConfiguration(tlsSettings(ca: TestPKI.otherCACertificate))
        try await withClient(options: Self.tlsOptions, configure: { configuration in
            configuration.tlsConfiguration = tls
            configuration.retryPolicy = .standard
            configuration.requestTimeout = .seconds(20)
        }) { server, client async throws in
            let started = ContinuousClock.now
            let error = await apiError { _ = try await client.get(configMapPath("x")) }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(error?.category == .cannotRun)
            #expect(error?.message == "TLS handshake with the Kubernetes API server at \(server.baseURL.absoluteString) failed: "
                    + "its certificate is not signed by the certificate authority the kubeconfig trusts, or is not valid now "
                    + "(CERTIFICATE_VERIFY_FAILED); check certificate-authority-data of the cluster", "\(error?.message ?? "")")
        }
    }

    /// A certificate for another name: the server's names only localhost, the kubeconfig says 127.0.0.1.
    @Test func aCertificateForAnotherNameIsNamedAsSuch() async throws {
        let tls = try makeTLSConfiguration(tlsSettings(ca: TestPKI.caCertificate))
        var options = FakeAPIServerOptions()
        options.tls = (TestPKI.localhostOnlyCertificate, TestPKI.serverKey)
        try await withClient(options: options, configure: { configuration in
            configuration.tlsConfiguration = tls
            configuration.retryPolicy = .standard
        }) { server, client async throws in
            let started = ContinuousClock.now
            let error = await apiError { _ = try await client.get(configMapPath("x")) }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(error?.message.hasSuffix("failed: its certificate does not name 127.0.0.1; connect by a name "
                                             + "it has, or set tls-server-name in the kubeconfig") == true, "\(error?.message ?? "")")
        }
    }

    /// Regression test: a client key that does not belong to its certificate was reported as
    /// "cannot reach the Kubernetes API server" after 57 s. It is a kubeconfig error, before any request.
    @Test func aClientKeyOfAnotherCertificateIsAKubeconfigError() async {
        let message = await kubeConfigErrorMessage {
            _ = try makeTLSConfiguration(KubeTLSSettings(
                clientCertificatePEM: Array(TestPKI.serverCertificate.utf8), clientKeyPEM: Array(TestPKI.otherKey.utf8),
                clientCertificateOrigin: "/k/config: user 'u'"))
        }
        #expect(message == "/k/config: user 'u': the client key does not match the client certificate; "
                + "check client-certificate-data and client-key-data", "\(message)")
    }
}
