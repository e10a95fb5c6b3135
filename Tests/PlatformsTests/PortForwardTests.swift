import Foundation
import Kubernetes
import PlatformKubernetes
import RESP
import Testing
import TestSupport

private let namespace = "redis"
private let password = "pf-secret"

/// A fake API server with one Running pod whose IP is a real redis-server's address.
private func withTunnelledRedis(
    podName: String = "redis-0",
    _ body: (FakeKubernetesAPIServer, RedisServerProcess, PortForwardDialer) async throws -> Void
) async throws {
    let redis = try await RedisServerProcess.start(password: password)
    defer { redis.stop() }
    try await FakeKubernetesAPIServer.withServer { server in
        seedPod(server, name: podName, ip: redis.endpoint.host)
        let dialer = PortForwardDialer(tunnel: PortForwardTunnel(server: server.baseURL, namespace: namespace), pods: [redis.endpoint: podName])
        try await body(server, redis, dialer)
    }
}

private func seedPod(_ server: FakeKubernetesAPIServer, name: String, ip: String?) {
    var status: JSONValue = ["phase": "Running"]
    if let ip { status["podIP"] = .string(ip) }
    server.seed("pods", namespace: namespace, object: [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": .string(name), "namespace": .string(namespace)],
        "status": status,
    ])
}

private func connectionError(_ body: () async throws -> Void) async -> RedisError? {
    do {
        try await body()
        return nil
    } catch let error as RedisError {
        return error
    } catch {
        Issue.record("expected a RedisError, got \(error)")
        return nil
    }
}

@Suite("Port-forward through the API server")
struct PortForwardTests {
    @Test("PING, SET/GET, a 1 MB value and 1,000 pipelined commands go through one tunnel")
    func roundTrips() async throws {
        try await withTunnelledRedis { server, redis, dialer in
            let connection = try await RedisConnection.connect(to: redis.endpoint, options: .init(password: password), dialer: dialer)
            #expect(try await connection.send("PING").string == "PONG")
            _ = try await connection.send("SET", "greeting", "hello")
            #expect(try await connection.send("GET", "greeting").string == "hello")

            let big = String(repeating: "x", count: 1 << 20)
            _ = try await connection.send("SET", "big", big)
            #expect(try await connection.send("GET", "big").bytes?.readableBytes == 1 << 20)
            #expect(try await connection.send("STRLEN", "big").int == 1 << 20)

            let commands = (0..<1000).map { _ in RedisCommand("INCR", "counter") }
            let replies = try await connection.pipeline(commands)
            #expect(replies.count == 1000)
            #expect((try? replies.last?.get())?.int == 1000)
            await connection.close()

            #expect(server.portForwardCount == 1)
            #expect(server.requestLog.contains("GET /api/v1/namespaces/\(namespace)/pods/redis-0/portforward"))
        }
    }

    @Test("several connections at once each get their own WebSocket")
    func concurrentConnections() async throws {
        try await withTunnelledRedis { server, redis, dialer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<5 {
                    group.addTask {
                        let connection = try await RedisConnection.connect(to: redis.endpoint, options: .init(password: password), dialer: dialer)
                        _ = try await connection.send("SET", "key\(index)", "value\(index)")
                        let value = try await connection.send("GET", "key\(index)").string
                        #expect(value == "value\(index)")
                        await connection.close()
                    }
                }
                try await group.waitForAll()
            }
            #expect(server.portForwardCount == 5)
        }
    }

    @Test("a bearer token is sent; a missing one is refused with 401")
    func bearerToken() async throws {
        try await withTunnelledRedis { server, redis, dialer in
            server.setRequiredBearerToken("tunnel-token")
            let refused = await connectionError {
                _ = try await RedisConnection.connect(to: redis.endpoint, options: .init(password: password), dialer: dialer)
            }
            #expect(refused?.description.contains("401") == true)
            var authorized = dialer
            authorized.tunnel.authorization = { "Bearer tunnel-token" }
            let connection = try await RedisConnection.connect(to: redis.endpoint, options: .init(password: password), dialer: authorized)
            #expect(try await connection.send("PING").string == "PONG")
            await connection.close()
        }
    }

    @Test("a missing pod is named in the error")
    func missingPod() async throws {
        try await withTunnelledRedis { server, redis, _ in
            let dialer = PortForwardDialer(tunnel: PortForwardTunnel(server: server.baseURL, namespace: namespace)) { _ in "ghost-0" }
            let error = await connectionError {
                _ = try await RedisConnection.connect(to: redis.endpoint, options: .init(password: password), dialer: dialer)
            }
            let text = error?.description ?? ""
            #expect(text.contains("ghost-0"))
            #expect(text.contains("404"))
            #expect(text.contains("not found"))
            #expect(server.portForwardCount == 0)
        }
    }

    @Test("a pod without an IP yet is refused with 404")
    func podWithoutIP() async throws {
        try await withTunnelledRedis { server, redis, _ in
            seedPod(server, name: "pending-0", ip: nil)
            let dialer = PortForwardDialer(tunnel: PortForwardTunnel(server: server.baseURL, namespace: namespace)) { _ in "pending-0" }
            let error = await connectionError {
                _ = try await RedisConnection.connect(to: redis.endpoint, options: .init(password: password), dialer: dialer)
            }
            #expect(error?.description.contains("pending-0") == true)
            #expect(error?.description.contains("404") == true)
        }
    }

    @Test("forbidden port-forward is a clear error")
    func forbidden() async throws {
        try await withTunnelledRedis { server, redis, dialer in
            server.forbid(verb: "create", resource: "pods/portforward")
            let error = await connectionError {
                _ = try await RedisConnection.connect(to: redis.endpoint, options: .init(password: password), dialer: dialer)
            }
            let text = error?.description ?? ""
            #expect(text.contains("403"))
            #expect(text.contains("cannot create resource \"pods/portforward\""))
            #expect(text.contains("redis-0"))
        }
    }

    @Test("nothing listening on the pod's port: the connection fails at its handshake")
    func wrongPort() async throws {
        try await withTunnelledRedis { server, redis, dialer in
            let wrong = RedisEndpoint(host: redis.endpoint.host, port: 6390)
            let mapped = PortForwardDialer(tunnel: PortForwardTunnel(server: server.baseURL, namespace: namespace)) { _ in "redis-0" }
            let error = await connectionError {
                _ = try await RedisConnection.connect(to: wrong, options: .init(password: password), dialer: mapped)
            }
            let text = error?.description ?? ""
            // The connection fails at its handshake, naming the address. The server's own text on
            // the error channel is not surfaced every time yet: when it arrives in the same read
            // as the 101 response it can be lost (known issue, see CHANGELOG); the failure is not.
            #expect(text.contains("127.") && text.contains(":6390"), "\(text)")
            #expect(text.contains("error forwarding port 6390 to pod redis-0") || text.contains("connection closed"), "\(text)")
            #expect(server.portForwardCount == 1)

            _ = dialer
        }
    }

    @Test("an endpoint the map does not know fails before any request")
    func unknownEndpoint() async throws {
        try await withTunnelledRedis { server, _, dialer in
            let error = await connectionError {
                _ = try await RedisConnection.connect(to: RedisEndpoint(host: "10.9.9.9", port: 6379), dialer: dialer)
            }
            #expect(error?.description.contains("10.9.9.9:6379") == true)
            #expect(server.portForwardCount == 0)
        }
    }

    @Test("an unreachable API server fails within the connect timeout")
    func unreachableServer() async throws {
        let endpoint = try RedisServerProcess.unusedLoopbackEndpoint()
        guard let url = URL(string: "http://\(endpoint.host):\(endpoint.port)") else { return }
        let dialer = PortForwardDialer(tunnel: PortForwardTunnel(server: url, namespace: namespace)) { _ in "redis-0" }
        let started = ContinuousClock.now
        let error = await connectionError {
            _ = try await RedisConnection.connect(to: RedisEndpoint(host: "10.0.0.1", port: 6379),
                                                  options: .init(connectTimeout: .seconds(2)), dialer: dialer)
        }
        #expect(error?.description.contains("redis-0") == true)
        // Within the 2 s connect timeout plus room for a loaded machine; a retry loop would take far longer.
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
