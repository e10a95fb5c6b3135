import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import RedisCtlCore

/// The Kubernetes REST API over AsyncHTTPClient: get, list, server-side apply, create, delete, watch,
/// discovery. Paths are API paths (`/apis/apps/v1/namespaces/NS/statefulsets/NAME`).
///
/// Owns an `HTTPClient`: call `shutdown()` when done.
public final class KubernetesClient: Sendable {
    public let configuration: KubernetesClientConfiguration
    let httpClient: HTTPClient
    /// The connection settings, kept so each watch can have a client of its own (see `watch`).
    let httpConfiguration: HTTPClient.Configuration
    /// Scheme, host and port requests go to, without a trailing slash.
    private let requestBase: String

    public init(configuration: KubernetesClientConfiguration) {
        self.configuration = configuration
        var httpConfiguration = HTTPClient.Configuration()
        var base = configuration.server.absoluteString
        // `tls-server-name`: address requests to that name, so SNI and certificate checks use it, and
        // resolve the name to the server's real host.
        if let serverName = configuration.tlsServerName, !serverName.isEmpty,
           var components = URLComponents(url: configuration.server, resolvingAgainstBaseURL: false),
           let host = components.host, host != serverName {
            components.host = serverName
            if let rewritten = components.string {
                base = rewritten
                httpConfiguration.dnsOverride = [serverName: host]
            }
        }
        while base.hasSuffix("/") { base.removeLast() }
        requestBase = base
        httpConfiguration.tlsConfiguration = configuration.tlsConfiguration
        httpConfiguration.redirectConfiguration = .disallow
        // No read timeout: a watch may be silent for minutes. Each call has its own deadline instead.
        httpConfiguration.timeout = .init(connect: timeAmount(configuration.connectTimeout), read: nil)
        // A failed connect fails the request, and `execute` alone decides whether to retry: the HTTP
        // client's own retries would repeat a refused TLS handshake until the connect timeout.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        self.httpConfiguration = httpConfiguration
        httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    // MARK: Verbs

    /// The object at `path`, or nil when there is none.
    public func get(_ path: String) async throws -> KubeJSON? {
        let response = try await request(.GET, path, verb: "get", accept404: true)
        return response.status == 404 ? nil : try response.json(method: "GET", path: path)
    }

    /// Every item in the collection, following `continue` tokens page by page.
    public func list(_ collectionPath: String, labelSelector: String? = nil, pageSize: Int = 500) async throws -> KubeList {
        var items: [KubeJSON] = []
        var continueToken: String?
        var resourceVersion: String?
        repeat {
            var query = [("limit", String(max(pageSize, 1)))]
            if let labelSelector { query.append(("labelSelector", labelSelector)) }
            if let continueToken { query.append(("continue", continueToken)) }
            let page = try await request(.GET, collectionPath, query: query, verb: "list").json(method: "GET", path: collectionPath)
            items += page["items"].array ?? []
            // Every page of one list shares the first page's snapshot; watch from there.
            resourceVersion = resourceVersion ?? page["metadata"]["resourceVersion"].string
            continueToken = page["metadata"]["continue"].string.flatMap { $0.isEmpty ? nil : $0 }
        } while continueToken != nil
        return KubeList(items: items, resourceVersion: resourceVersion ?? "")
    }

    /// Server-side apply: creates the object or updates the fields this field manager owns.
    @discardableResult
    public func apply(
        _ objectPath: String, body: String, fieldManager: String = "redisctl", force: Bool = false, dryRun: Bool = false
    ) async throws -> KubeJSON {
        let object = try ManifestBody.jsonObject(from: body)
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        if dryRun { query.append(("dryRun", "All")) }
        return try await request(
            .PATCH, objectPath, query: query, verb: "patch",
            contentType: "application/apply-patch+yaml", body: try object.jsonData()
        ).json(method: "PATCH", path: objectPath)
    }

    /// POST to the collection. An existing object fails with `isAlreadyExists`.
    @discardableResult
    public func create(_ collectionPath: String, body: String, dryRun: Bool = false) async throws -> KubeJSON {
        let object = try ManifestBody.jsonObject(from: body)
        let query = dryRun ? [("dryRun", "All")] : []
        return try await request(
            .POST, collectionPath, query: query, verb: "create", contentType: "application/json", body: try object.jsonData()
        ).json(method: "POST", path: collectionPath)
    }

    /// Deletes the object; false when it was already gone. `propagationPolicy`: Background, Foreground or Orphan.
    @discardableResult
    public func delete(_ objectPath: String, propagationPolicy: String = "Background") async throws -> Bool {
        let options: KubeJSON = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(propagationPolicy)]
        let response = try await request(
            .DELETE, objectPath, query: [("propagationPolicy", propagationPolicy)], verb: "delete",
            contentType: "application/json", body: try options.jsonData(), accept404: true
        )
        return response.status != 404
    }

    /// The group/versions the server serves: "v1", "apps/v1", "monitoring.coreos.com/v1", …
    public func discoverGroupVersions() async throws -> Set<String> {
        let core = try await request(.GET, "/api", verb: "get").json(method: "GET", path: "/api")
        let groups = try await request(.GET, "/apis", verb: "get").json(method: "GET", path: "/apis")
        var result = Set((core["versions"].array ?? []).compactMap(\.string))
        for group in groups["groups"].array ?? [] {
            for version in group["versions"].array ?? [] {
                if let groupVersion = version["groupVersion"].string { result.insert(groupVersion) }
            }
        }
        return result
    }

    // MARK: Transport

    struct Response: Sendable {
        var status: Int
        var body: Data

        func json(method: String, path: String) throws -> KubeJSON {
            do {
                return try KubeJSON(data: body)
            } catch {
                throw KubernetesAPIError.invalidResponse(method, path, "body is not JSON")
            }
        }
    }

    /// One call with its body collected; non-2xx answers (except an accepted 404) become `KubernetesAPIError`.
    func request(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], verb: String,
        contentType: String? = nil, body: Data? = nil, accept404: Bool = false
    ) async throws -> Response {
        let response = try await execute(method, path, query: query, contentType: contentType, body: body, timeout: configuration.requestTimeout)
        let collected: ByteBuffer
        do {
            collected = try await response.body.collect(upTo: 256 * 1024 * 1024)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw KubernetesAPIError.unreachable(configuration.server, error)
        }
        let status = Int(response.status.code)
        let data = Data(collected.readableBytesView)
        if (200..<300).contains(status) || (accept404 && status == 404) {
            return Response(status: status, body: data)
        }
        throw KubernetesAPIError.fromResponse(
            status: status, body: data, method: method.rawValue, path: path, verb: verb, server: configuration.server
        )
    }

    /// Sends a request, retrying dropped connections, 429 and 5xx with backoff, and a 401 once after
    /// `onUnauthorized`. Returns the last answer's head with its body still to be read.
    func execute(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], contentType: String?, body: Data?,
        timeout: Duration, using client: HTTPClient? = nil
    ) async throws -> HTTPClientResponse {
        let httpClient = client ?? self.httpClient
        let policy = configuration.retryPolicy
        let started = ContinuousClock.now
        var attempt = 0
        var retriedUnauthorized = false
        while true {
            attempt += 1
            let request = try await buildRequest(method, path, query: query, contentType: contentType, body: body)
            let mayRetry = attempt < policy.maxAttempts
            let response: HTTPClientResponse
            do {
                response = try await httpClient.execute(request, timeout: timeAmount(timeout))
            } catch {
                if Task.isCancelled { throw CancellationError() }
                if let reason = tlsFailureReason(error) {
                    throw KubernetesAPIError.tlsFailed(configuration.server, reason)
                }
                let delay = policy.backoff(afterAttempt: attempt)
                // After shutdown() nothing will ever get through: do not wait out the retry budget.
                let isShutDown = (error as? HTTPClientError) == .alreadyShutdown
                // The HTTP client already kept trying to connect for the whole connect timeout:
                // an API server that is not there is reported now, not after the retry budget.
                let neverConnected = (error as? HTTPClientError) == .connectTimeout || Self.isConnectionRefused(error)
                guard mayRetry, !isShutDown, !neverConnected,
                      started.duration(to: .now) + delay <= policy.maxTotalTime else {
                    throw KubernetesAPIError.unreachable(configuration.server, error)
                }
                try await Task.sleep(for: delay)
                continue
            }
            let status = Int(response.status.code)
            if status == 401, !retriedUnauthorized {
                retriedUnauthorized = true
                try await discard(response)
                await configuration.onUnauthorized()
                continue
            }
            if status == 429 || (500..<600).contains(status) {
                let delay = retryAfter(response) ?? policy.backoff(afterAttempt: attempt)
                if mayRetry, started.duration(to: .now) + delay <= policy.maxTotalTime {
                    try await discard(response)
                    try await Task.sleep(for: delay)
                    continue
                }
            }
            return response
        }
    }

    /// What to check when `error` is a failed TLS handshake; nil for any other error.
    func tlsFailureReason(_ error: any Error) -> String? {
        guard let failure = TLSFailure(error) else { return nil }
        switch failure.kind {
        case .wrongName:
            let name = configuration.tlsServerName ?? configuration.server.host ?? ""
            return "its certificate does not name \(name); connect by a name it has, or set tls-server-name in the kubeconfig"
        case .untrustedCertificate:
            return "its certificate is not signed by the certificate authority the kubeconfig trusts, or is not valid "
                + "now (\(failure.reason)); check certificate-authority-data of the cluster"
        case .certificateRefused:
            return "the server refused the client certificate (\(failure.reason)); check client-certificate-data of the user"
        case .notTLS:
            return "it does not speak TLS on that port (\(failure.reason)); check the server URL in the kubeconfig"
        case .other:
            return failure.reason
        }
    }

    /// Nothing listens at the address: retrying only delays the answer.
    static func isConnectionRefused(_ error: any Error) -> Bool {
        if let io = error as? IOError { return io.errnoCode == ECONNREFUSED }
        return String(describing: error).contains("errno: \(ECONNREFUSED))")
    }

    private func buildRequest(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], contentType: String?, body: Data?
    ) async throws -> HTTPClientRequest {
        var url = requestBase + (path.hasPrefix("/") ? path : "/" + path)
        if !query.isEmpty { url += "?" + queryString(query) }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization = try await configuration.authorization() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return request
    }

    private func discard(_ response: HTTPClientResponse) async throws {
        _ = try? await response.body.collect(upTo: 16 * 1024 * 1024)
    }

    /// `Retry-After` in seconds (the API server never sends the date form), capped at a minute.
    private func retryAfter(_ response: HTTPClientResponse) -> Duration? {
        guard let text = response.headers.first(name: "Retry-After"), let seconds = Int(text), seconds >= 0 else { return nil }
        return .seconds(min(seconds, 60))
    }
}

func timeAmount(_ duration: Duration) -> TimeAmount {
    let (seconds, attoseconds) = duration.components
    return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
}
