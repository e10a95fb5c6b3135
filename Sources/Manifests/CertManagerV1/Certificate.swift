/// cert-manager's `cert-manager.io/v1` API group (custom resources).
public enum CertManagerV1 {}

extension CertManagerV1 {
    /// Asks cert-manager to keep a signed certificate in the Secret `spec.secretName`.
    public struct Certificate: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "cert-manager.io", version: "v1", kind: "Certificate", plural: "certificates", namespaced: true)
        public var apiVersion = "cert-manager.io/v1"
        public var kind = "Certificate"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var secretName: String
            public var issuerRef: IssuerRef
            public var commonName: String?
            public var dnsNames: [String]
            public var ipAddresses: [String]
            public var duration: String?
            public var renewBefore: String?
            public var privateKey: PrivateKey?
            public var usages: [String]?

            public init(secretName: String, issuerRef: IssuerRef, commonName: String? = nil, dnsNames: [String],
                        ipAddresses: [String], duration: String? = nil, renewBefore: String? = nil,
                        privateKey: PrivateKey? = nil, usages: [String]? = nil) {
                self.secretName = secretName
                self.issuerRef = issuerRef
                self.commonName = commonName
                self.dnsNames = dnsNames
                self.ipAddresses = ipAddresses
                self.duration = duration
                self.renewBefore = renewBefore
                self.privateKey = privateKey
                self.usages = usages
            }
        }

        public struct IssuerRef: Codable, Sendable, Equatable {
            public var name: String
            public var kind: String
            public var group: String

            public init(name: String, kind: String, group: String) {
                self.name = name
                self.kind = kind
                self.group = group
            }
        }

        public struct PrivateKey: Codable, Sendable, Equatable {
            public var algorithm: String
            public var size: Int
            public var rotationPolicy: String

            public init(algorithm: String, size: Int, rotationPolicy: String) {
                self.algorithm = algorithm
                self.size = size
                self.rotationPolicy = rotationPolicy
            }
        }
    }
}
