import Foundation
import NIOSSL

/// Where the API server is and how to prove who we are; built from a kubeconfig or by tests.
public struct KubernetesClientConfiguration: Sendable {
    public var server: URL
    public var tlsConfiguration: TLSConfiguration?
    /// The name to check the server certificate against when it differs from the URL's host.
    public var tlsServerName: String?
    /// The `Authorization` header value ("Bearer …", "Basic …"), or nil for none. Asked before every
    /// request so expiring credentials (exec plugins, projected tokens) stay fresh.
    public var authorization: @Sendable () async throws -> String?
    /// Called after a 401 so cached credentials can be dropped; the request is then retried once.
    public var onUnauthorized: @Sendable () async -> Void
    public var userAgent: String = "redisctl"
    public var requestTimeout: Duration = .seconds(30)
    /// How long to keep trying to open a connection (the HTTP client retries refused connects within it).
    public var connectTimeout: Duration = .seconds(10)
    public var retryPolicy: KubernetesRetryPolicy = .standard

    public init(
        server: URL,
        tlsConfiguration: TLSConfiguration? = nil,
        tlsServerName: String? = nil,
        authorization: @escaping @Sendable () async throws -> String? = { nil },
        onUnauthorized: @escaping @Sendable () async -> Void = {}
    ) {
        self.server = server
        self.tlsConfiguration = tlsConfiguration
        self.tlsServerName = tlsServerName
        self.authorization = authorization
        self.onUnauthorized = onUnauthorized
    }
}
