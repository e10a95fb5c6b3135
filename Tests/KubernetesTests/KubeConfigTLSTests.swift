import NIOSSL
import Testing
@testable import Kubernetes

@Suite struct KubeConfigTLSTests {
    @Test func acceptsTheTestCertificateAuthorityAndClientCertificate() throws {
        let configuration = try makeTLSConfiguration(KubeTLSSettings(
            caPEM: TestPEM.certificateBytes, clientCertificatePEM: TestPEM.certificateBytes, clientKeyPEM: TestPEM.keyBytes
        ))
        #expect(configuration.trustRoots == .certificates(try NIOSSLCertificate.fromPEMBytes(TestPEM.certificateBytes)))
        #expect(configuration.certificateChain.count == 1)
        #expect(configuration.privateKey != nil)
        #expect(configuration.certificateVerification == .fullVerification)
    }

    @Test func systemRootsWhenNoCertificateAuthority() throws {
        let configuration = try makeTLSConfiguration(KubeTLSSettings())
        #expect(configuration.trustRoots == nil || configuration.trustRoots == .default)
        #expect(configuration.certificateChain.isEmpty)
    }

    @Test func insecureSkipsVerification() throws {
        let configuration = try makeTLSConfiguration(KubeTLSSettings(insecureSkipVerify: true))
        #expect(configuration.certificateVerification == .none)
    }

    @Test func rejectsGarbageCertificateAuthority() async {
        let message = await kubeConfigErrorMessage {
            _ = try makeTLSConfiguration(KubeTLSSettings(caPEM: Array("garbage".utf8), caOrigin: "/k/config: cluster 'c'"))
        }
        #expect(message.hasPrefix("/k/config: cluster 'c': certificate authority "))
    }

    @Test func rejectsGarbageKey() async {
        let message = await kubeConfigErrorMessage {
            _ = try makeTLSConfiguration(KubeTLSSettings(
                clientCertificatePEM: TestPEM.certificateBytes,
                clientKeyPEM: Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8),
                clientCertificateOrigin: "/k/config: user 'u'"
            ))
        }
        #expect(message.hasPrefix("/k/config: user 'u': client key is not a valid PEM private key"))
    }

    @Test func rejectsCertificateWithoutKey() async {
        let message = await kubeConfigErrorMessage {
            _ = try makeTLSConfiguration(KubeTLSSettings(clientCertificatePEM: TestPEM.certificateBytes))
        }
        #expect(message.contains("needs both certificate and key"))
    }
}
