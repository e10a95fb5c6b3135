import Foundation
import Spec

/// PEM material `deploy` made for a deployment that names no certificate issuer.
public struct GeneratedTLSMaterial: Sendable, Equatable {
    public var caCertificatePEM: String
    public var caKeyPEM: String
    public var certificatePEM: String
    public var keyPEM: String

    public init(caCertificatePEM: String, caKeyPEM: String, certificatePEM: String, keyPEM: String) {
        self.caCertificatePEM = caCertificatePEM
        self.caKeyPEM = caKeyPEM
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }
}

/// The TLS Secrets `deploy` creates when absent: the pods' (`tls.crt`, `tls.key`, `ca.crt`, the
/// shape cert-manager writes) and the CA's own, kept apart so no pod mounts the CA key.
public enum TLSSecretsBuilder {
    /// Every name a client or a peer reaches a pod by: each pod's stable name (a wildcard under the
    /// headless Service), the Services, and the loopback address the probes use.
    public static func certificateNames(for deployment: RedisDeployment) -> (dnsNames: [String], ipAddresses: [String]) {
        let names = ManifestNames(deployment)
        let namespace = deployment.metadata.namespace
        var services = [names.clientService, names.headlessService]
        if deployment.spec.topology == .sentinel { services.append(names.sentinelService) }
        var dnsNames: [String] = []
        for service in services {
            dnsNames += [service, "\(service).\(namespace)", "\(service).\(namespace).svc", "\(service).\(namespace).svc.cluster.local"]
        }
        dnsNames += ["*.\(names.headlessService).\(namespace).svc", "*.\(names.headlessService).\(namespace).svc.cluster.local",
                     "localhost"]
        return (dnsNames, ["127.0.0.1"])
    }

    /// The CA's Secret: `<tls.secretName>-ca`.
    public static func authoritySecretName(for deployment: RedisDeployment) -> String {
        "\(deployment.spec.tls.secretName)-ca"
    }

    public static func build(for deployment: RedisDeployment, material: GeneratedTLSMaterial) -> [CoreV1.Secret] {
        let context = ManifestContext(deployment, options: RenderOptions())
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let annotations: SortedMap<String> = [SecretsBuilder.createOnlyAnnotation: "true"]
        let authority = CoreV1.Secret(
            metadata: context.metadata(authoritySecretName(for: deployment), .redis, annotations: annotations),
            type: "Opaque",
            data: ["ca.crt": base64(material.caCertificatePEM), "ca.key": base64(material.caKeyPEM)])
        let pods = CoreV1.Secret(
            metadata: context.metadata(deployment.spec.tls.secretName, .redis, annotations: annotations),
            type: "kubernetes.io/tls",
            data: ["ca.crt": base64(material.caCertificatePEM), "tls.crt": base64(material.certificatePEM),
                   "tls.key": base64(material.keyPEM)])
        return [authority, pods]
    }
}
