import Foundation

/// Everything needed to talk to one API server: where it is, how to trust it, who we are.
public struct KubeContext: Sendable {
    /// The kubeconfig context's name; `in-cluster` for the service account.
    public var contextName: String
    /// `https://host:port` (or `http://` for a local proxy), with any path prefix the server sits under.
    public var server: URL
    /// The context's namespace; nil means the caller's default.
    public var namespace: String?
    public var tls: KubeTLSSettings
    public var credentials: KubeCredentials
    /// Which file(s) the context came from, or `in-cluster`; for messages.
    public var source: String
    public var isInCluster: Bool

    public init(
        contextName: String, server: URL, namespace: String?, tls: KubeTLSSettings,
        credentials: KubeCredentials, source: String, isInCluster: Bool
    ) {
        self.contextName = contextName
        self.server = server
        self.namespace = namespace
        self.tls = tls
        self.credentials = credentials
        self.source = source
        self.isInCluster = isInCluster
    }
}

/// How to set up TLS to the API server; turned into NIOSSL's configuration by `makeTLSConfiguration`.
public struct KubeTLSSettings: Sendable, Equatable {
    /// PEM bundle of the CAs to trust instead of the system roots; nil trusts the system roots.
    public var caPEM: [UInt8]?
    public var insecureSkipVerify: Bool
    /// The name to send as SNI and verify the certificate against, when it differs from the server's host.
    public var serverName: String?
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// Where the CA came from (e.g. `/home/me/.kube/config: cluster 'prod'`), for messages.
    public var caOrigin: String?
    /// Where the client certificate and key came from, for messages.
    public var clientCertificateOrigin: String?

    public init(
        caPEM: [UInt8]? = nil, insecureSkipVerify: Bool = false, serverName: String? = nil,
        clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
        caOrigin: String? = nil, clientCertificateOrigin: String? = nil
    ) {
        self.caPEM = caPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.caOrigin = caOrigin
        self.clientCertificateOrigin = clientCertificateOrigin
    }
}

/// How requests prove who they come from.
public enum KubeCredentials: Sendable, Equatable, CustomStringConvertible {
    case none
    case token(String)
    /// A file holding the token, re-read so a rotated service-account token is picked up.
    case tokenFile(String)
    case basic(username: String, password: String)
    /// A client certificate only; the certificate and key are in `KubeTLSSettings`.
    case clientCertificate
    case exec(ExecConfig)

    /// Never shows a secret: contexts end up in logs and test failure output.
    public var description: String {
        switch self {
        case .none: "none"
        case .token: "token (redacted)"
        case .tokenFile(let path): "token file \(path)"
        case .basic(let username, _): "basic auth as '\(username)'"
        case .clientCertificate: "client certificate"
        case .exec(let config): "exec plugin '\(config.command)'"
        }
    }
}

/// An exec credential plugin, with paths resolved and the cluster info it may ask for.
public struct ExecConfig: Sendable, Equatable {
    public static let supportedAPIVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    public var apiVersion: String
    /// A bare name searched on PATH, or a path (relative paths already resolved against the kubeconfig's directory).
    public var command: String
    public var args: [String]
    public var env: [KubeConfigFile.EnvVar]
    public var installHint: String?
    public var provideClusterInfo: Bool
    public var interactiveMode: String?
    /// Passed to the plugin in `KUBERNETES_EXEC_INFO` when `provideClusterInfo` is set.
    public var cluster: ExecClusterInfo?
    /// Where the plugin is configured (e.g. `/home/me/.kube/config: user 'eks'`), for messages.
    public var origin: String

    public init(
        apiVersion: String, command: String, args: [String] = [], env: [KubeConfigFile.EnvVar] = [],
        installHint: String? = nil, provideClusterInfo: Bool = false, interactiveMode: String? = nil,
        cluster: ExecClusterInfo? = nil, origin: String
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.installHint = installHint
        self.provideClusterInfo = provideClusterInfo
        self.interactiveMode = interactiveMode
        self.cluster = cluster
        self.origin = origin
    }
}

/// The cluster as an exec plugin sees it in `KUBERNETES_EXEC_INFO` (`spec.cluster`).
public struct ExecClusterInfo: Sendable, Equatable, Encodable {
    public var server: String
    public var tlsServerName: String?
    public var insecureSkipTLSVerify: Bool?
    /// Base64 of the CA PEM, as in the kubeconfig.
    public var certificateAuthorityData: String?

    enum CodingKeys: String, CodingKey {
        case server
        case tlsServerName = "tls-server-name"
        case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        case certificateAuthorityData = "certificate-authority-data"
    }

    public init(server: String, tlsServerName: String? = nil, insecureSkipTLSVerify: Bool? = nil, certificateAuthorityData: String? = nil) {
        self.server = server
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.certificateAuthorityData = certificateAuthorityData
    }
}
