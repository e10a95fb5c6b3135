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

    /// With `spec.tls.issuer`: the cert-manager `Certificate` that keeps the pods' Secret, naming the
    /// same names deploy's own certificate does, valid a year and renewed a month before its end
    /// (`rotate-certs --reload` then has the nodes load it). Nil without an issuer.
    static func certificate(_ context: ManifestContext) -> CertManagerV1.Certificate? {
        let tls = context.spec.tls
        guard tls.enabled, let issuer = tls.issuer else { return nil }
        let names = certificateNames(for: context.deployment)
        return CertManagerV1.Certificate(
            metadata: context.metadata(tls.secretName, .redis),
            spec: .init(secretName: tls.secretName, issuerRef: .init(name: issuer.name, kind: issuer.kind, group: issuer.group),
                        commonName: "\(context.names.cluster).\(context.names.namespace)", dnsNames: names.dnsNames,
                        ipAddresses: names.ipAddresses, duration: "8760h", renewBefore: "720h",
                        privateKey: .init(algorithm: "ECDSA", size: 256, rotationPolicy: "Always"),
                        usages: ["digital signature", "key encipherment", "server auth", "client auth"]))
    }

    /// The CA's Secret: `<tls.secretName>-ca`.
    public static func authoritySecretName(for deployment: RedisDeployment) -> String {
        "\(deployment.spec.tls.secretName)-ca"
    }

    public static func build(for deployment: RedisDeployment, material: GeneratedTLSMaterial) -> [CoreV1.Secret] {
        [authoritySecret(for: deployment, certificatePEM: material.caCertificatePEM, keyPEM: material.caKeyPEM),
         podSecret(for: deployment, trustedPEM: material.caCertificatePEM, certificatePEM: material.certificatePEM,
                   keyPEM: material.keyPEM)]
    }

    /// The CA Secret: the CA that signs (`ca.crt`, `ca.key`) and, while `rotate-certs --new-ca` is
    /// under way, the new one (`next-ca.crt`, `next-ca.key`).
    public static func authoritySecret(for deployment: RedisDeployment, certificatePEM: String, keyPEM: String,
                                       next: (certificatePEM: String, keyPEM: String)? = nil) -> CoreV1.Secret {
        var data: SortedMap<String> = ["ca.crt": base64(certificatePEM), "ca.key": base64(keyPEM)]
        if let next {
            data["next-ca.crt"] = base64(next.certificatePEM)
            data["next-ca.key"] = base64(next.keyPEM)
        }
        return CoreV1.Secret(metadata: metadata(authoritySecretName(for: deployment), of: deployment), type: "Opaque", data: data)
    }

    /// The pods' Secret: their certificate and key, and the CAs they and clients trust (`ca.crt`, both
    /// CAs during a rotation).
    public static func podSecret(for deployment: RedisDeployment, trustedPEM: String, certificatePEM: String,
                                 keyPEM: String) -> CoreV1.Secret {
        CoreV1.Secret(
            metadata: metadata(deployment.spec.tls.secretName, of: deployment), type: "kubernetes.io/tls",
            data: ["ca.crt": base64(trustedPEM), "tls.crt": base64(certificatePEM), "tls.key": base64(keyPEM)])
    }

    /// Created once by deploy, replaced only by rotate-certs.
    private static func metadata(_ name: String, of deployment: RedisDeployment) -> ObjectMeta {
        ManifestContext(deployment, options: RenderOptions())
            .metadata(name, .redis, annotations: [SecretsBuilder.createOnlyAnnotation: "true"])
    }

    private static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}
