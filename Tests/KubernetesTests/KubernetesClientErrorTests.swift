import Foundation
import Kubernetes
import RedisCtlCore
import TestSupport
import Testing

/// A token that a test can change while the client runs.
final class TokenBox: @unchecked Sendable {
    private let lock = NSLock()
    private var token: String
    private var refreshes = 0
    init(_ token: String) { self.token = token }
    var current: String { lock.withLock { token } }
    var refreshCount: Int { lock.withLock { refreshes } }
    func refresh(to newToken: String) { lock.withLock { token = newToken; refreshes += 1 } }
}

@Suite("KubernetesClient errors and retries")
struct KubernetesClientErrorTests {
    @Test("401 without a token: cannot run, naming the server")
    func unauthorized() async throws {
        try await withClient { server, client in
            server.setRequiredBearerToken("secret-token")
            let error = await apiError { _ = try await client.get(configMapPath("x")) }
            #expect(error?.code == 401)
            #expect(error?.category == .cannotRun)
            #expect(error?.message.hasPrefix("authentication refused by \(server.baseURL.absoluteString)") == true)
        }
    }

    @Test("after a 401 the client drops its credentials and retries once")
    func unauthorizedRetriesOnceAfterRefresh() async throws {
        let token = TokenBox("stale")
        try await withClient(configure: { configuration in
            configuration.authorization = { "Bearer \(token.current)" }
            configuration.onUnauthorized = { token.refresh(to: "fresh") }
        }) { server, client in
            server.setRequiredBearerToken("fresh")
            let answer = try await client.get(configMapPath("x"))
            #expect(answer == nil)
            #expect(token.refreshCount == 1)
            server.setRequiredBearerToken("rotated-again")
            let error = await apiError { _ = try await client.get(configMapPath("x")) }
            #expect(error?.code == 401)
            #expect(token.refreshCount == 2)
        }
    }

    @Test("403 names the verb, resource, namespace and user")
    func forbidden() async throws {
        try await withClient { server, client in
            server.forbid(verb: "patch", resource: "statefulsets.apps")
            let error = await apiError {
                try await client.apply("/apis/apps/v1/namespaces/\(testNamespace)/statefulsets/redis",
                                       body: #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"redis"}}"#)
            }
            #expect(error?.code == 403)
            #expect(error?.category == .cannotRun)
            #expect(error?.message == "forbidden: cannot patch statefulsets.apps in namespace \(testNamespace) (user system:serviceaccount:default:redisctl)")
            #expect(error?.serverMessage.contains(#"cannot patch resource "statefulsets" in API group "apps" in the namespace "redis-system""#) == true)
        }
    }

    @Test("an unreachable server: cannot run, naming the URL")
    func unreachable() async throws {
        let server = try await FakeKubernetesAPIServer.start()
        let url = server.baseURL
        try await server.stop()
        var configuration = KubernetesClientConfiguration(server: url)
        configuration.retryPolicy = fastRetries
        configuration.connectTimeout = .milliseconds(200)
        let client = KubernetesClient(configuration: configuration)
        let error = await apiError { _ = try await client.get(configMapPath("x")) }
        try await client.shutdown()
        #expect(error?.category == .cannotRun)
        #expect(error?.reason == .unreachable)
        #expect(error?.message.contains(url.absoluteString) == true)
    }

    @Test("a 503 and a 429 are retried, then the answer is returned")
    func retriesServerErrors() async throws {
        try await withClient { server, client in
            server.failNextRequests(status: 503, count: 1)
            server.failNextRequests(status: 429, count: 1, retryAfterSeconds: 0)
            let answer = try await client.get(configMapPath("x"))
            #expect(answer == nil)
            #expect(server.requestLog.count == 3)
        }
    }

    @Test("retries stop at the policy's bound; 4xx other than 429 is never retried")
    func retriesAreBounded() async throws {
        try await withClient { server, client in
            server.failNextRequests(status: 503, count: fastRetries.maxAttempts)
            let error = await apiError { _ = try await client.get(configMapPath("x")) }
            #expect(error?.code == 503)
            #expect(server.requestLog.count == fastRetries.maxAttempts)

            let before = server.requestLog.count
            _ = await apiError { try await client.create(configMapsPath, body: #"{"apiVersion":"v1","kind":"ConfigMap"}"#) }
            #expect(server.requestLog.count == before + 1)
        }
    }
}

@Suite("KubernetesClient addressing")
struct KubernetesClientAddressingTests {
    @Test("with a TLS server name, requests are addressed to that name and still reach the server")
    func tlsServerNameRoutesToServer() async throws {
        try await withClient(configure: { $0.tlsServerName = "kubernetes.default.svc" }) { _, client in
            try await client.apply(configMapPath("routed"), body: configMapYAML("routed"))
            let routed = try await client.get(configMapPath("routed"))
            #expect(routed?["metadata"]["name"].string == "routed")
        }
    }
}
