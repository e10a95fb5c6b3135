import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A Kubernetes API server for tests that speaks the real REST protocol over HTTP/1.1 on loopback:
/// discovery, get/list/watch, create, server-side apply, delete with propagation, Status errors.
///
/// ```swift
/// let server = try await FakeKubernetesAPIServer.start()
/// // … point a client at server.baseURL …
/// try await server.stop()
/// ```
public final class FakeKubernetesAPIServer: Sendable {
    public let baseURL: URL
    /// The objects, for assertions and for in-process controllers (a kubelet stand-in) to read and write.
    public let store: FakeObjectStore
    public let options: FakeAPIServerOptions
    private let policy: FakeAccessPolicy
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    private init(baseURL: URL, store: FakeObjectStore, options: FakeAPIServerOptions, policy: FakeAccessPolicy,
                 group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.baseURL = baseURL
        self.store = store
        self.options = options
        self.policy = policy
        self.group = group
        self.channel = channel
    }

    /// Binds `host:port` (port 0: any free port) and starts answering.
    public static func start(host: String = "127.0.0.1", port: Int = 0, options: FakeAPIServerOptions = .init()) async throws -> FakeKubernetesAPIServer {
        // One event loop: every connection's writes are ordered on it, which watch ordering relies on.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let store = FakeObjectStore(historyDepth: options.watchHistoryDepth, requireNamespaces: options.requireNamespaces)
        let policy = FakeAccessPolicy()
        let router = FakeAPIRouter(store: store, policy: policy, options: options)
        let bookmarkInterval = options.bookmarkInterval
        let tls = try options.tls.map { pem in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pem.certificatePEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pem.keyPEM.utf8), format: .pem))))
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    // Port-forward requests upgrade to WebSocket; every other request reaches the handler below.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [FakePortForward.upgrader(router: router)], completionHandler: { _ in }),
                        withErrorHandling: true
                    )
                    let upgrade = try channel.pipeline.syncOperations.handler(type: HTTPServerUpgradeHandler.self)
                    try channel.pipeline.syncOperations.addHandler(FakePortForwardRefusalGate(router: router),
                                                                   position: .before(upgrade))
                    try channel.pipeline.syncOperations.addHandler(FakeAPIHTTPHandler(router: router, bookmarkInterval: bookmarkInterval))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        guard let boundPort = channel.localAddress?.port, let url = URL(string: "\(tls == nil ? "http" : "https")://\(host):\(boundPort)") else {
            try? await channel.close().get()
            try? await group.shutdownGracefully()
            throw FakeServerStartFailure(host: host, port: port)
        }
        return FakeKubernetesAPIServer(baseURL: url, store: store, options: options, policy: policy, group: group, channel: channel)
    }

    /// Closes the listener and every open connection (watches included).
    public func stop() async throws {
        try? await channel.close().get()
        try await group.shutdownGracefully()
    }

    // MARK: Test controls

    /// Requests without `Authorization: Bearer <token>` get 401; nil accepts anyone again.
    public func setRequiredBearerToken(_ token: String?) { policy.setRequiredBearerToken(token) }

    /// Refuses `verb` (get, list, watch, create, patch, delete, or *) on `resource`
    /// ("configmaps", "statefulsets.apps") with a 403 worded like RBAC's.
    public func forbid(verb: String, resource: String) { policy.forbid(verb: verb, resource: resource) }

    /// Takes back a `forbid`.
    public func allow(verb: String, resource: String) { policy.allow(verb: verb, resource: resource) }

    /// The next `count` requests get `status` (e.g. 503, 429) before anything else is looked at.
    public func failNextRequests(status: Int, count: Int = 1, retryAfterSeconds: Int? = nil) {
        policy.inject(.init(status: status, retryAfterSeconds: retryAfterSeconds), count: count)
    }

    /// Port-forward WebSockets opened so far (one per forwarded TCP connection).
    public var portForwardCount: Int { policy.tunnelCount }

    /// "METHOD /path" of every request so far, in arrival order.
    public var requestLog: [String] { policy.requestLog }

    public var currentResourceVersion: Int { store.currentRevision }

    /// The served kind named "configmaps", "statefulsets", "statefulsets.apps" or "servicemonitors.monitoring.coreos.com".
    public func resourceType(_ name: String) -> FakeResourceType? {
        (FakeResourceType.builtIn + FakeResourceType.monitoring).first { $0.qualifiedName == name || $0.plural == name }
    }

    /// Stored objects of a kind, optionally in one namespace, sorted by namespace and name.
    public func objects(_ resource: String, namespace: String? = nil) -> [JSONValue] {
        guard let type = resourceType(resource) else { return [] }
        return store.list(type, namespace: namespace, selector: nil).items
    }

    public func object(_ resource: String, namespace: String? = nil, name: String) -> JSONValue? {
        guard let type = resourceType(resource) else { return nil }
        return store.get(type, namespace: namespace ?? "", name: name)
    }

    /// Deletes an object directly, as another client would (`kubectl delete`).
    public func deleteObject(_ resource: String, namespace: String? = nil, name: String) throws {
        guard let type = resourceType(resource) else { return }
        _ = try store.delete(type, namespace: namespace ?? "", name: name, propagationPolicy: "Background")
    }

    /// Deletes the named objects at once (see `FakeObjectStore.deleteAll`).
    public func deleteObjects(_ resource: String, namespace: String, names: [String]) {
        guard let type = resourceType(resource) else { return }
        store.deleteAll(type, namespace: namespace, names: names)
    }

    /// Stores an object directly, as a controller would (e.g. a Namespace, or Pods owned by a StatefulSet).
    @discardableResult
    public func seed(_ resource: String, namespace: String? = nil, object: JSONValue) -> JSONValue? {
        guard let type = resourceType(resource) else { return nil }
        return store.put(type, namespace: type.namespaced ? (namespace ?? "") : "", object: object)
    }
}

/// The listener bound but reported no port.
struct FakeServerStartFailure: Error, CustomStringConvertible {
    var host: String
    var port: Int
    var description: String { "fake Kubernetes API server could not bind \(host):\(port)" }
}

extension FakeKubernetesAPIServer {
    /// Runs `body` against a fresh server and stops the server afterwards, whether `body` throws or not.
    public static func withServer<Result: Sendable>(
        options: FakeAPIServerOptions = .init(), _ body: (FakeKubernetesAPIServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(options: options)
        let result: Result
        do {
            result = try await body(server)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        return result
    }
}
