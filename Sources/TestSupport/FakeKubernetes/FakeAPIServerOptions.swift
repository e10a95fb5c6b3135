/// How a fake API server behaves; the defaults suit most tests.
public struct FakeAPIServerOptions: Sendable {
    /// Whether servicemonitors/prometheusrules (monitoring.coreos.com/v1) are served, i.e. whether
    /// the Prometheus Operator's CRDs are "installed".
    public var servesMonitoringCRDs: Bool = true
    /// How many changes are kept for watches; older resourceVersions get 410 Gone.
    public var watchHistoryDepth: Int = 1000
    /// How often watches with `allowWatchBookmarks=true` get a BOOKMARK.
    public var bookmarkInterval: Duration = .seconds(1)
    /// Namespaced objects can only be written into an existing Namespace, as on a real cluster.
    public var requireNamespaces: Bool = true
    /// Who the caller is, for 403 messages.
    public var userName: String = "system:serviceaccount:default:redisctl"

    /// Serve HTTPS with this certificate and key (PEM), as a real API server does; nil: plain HTTP.
    public var tls: (certificatePEM: String, keyPEM: String)?

    public init() {}
}
