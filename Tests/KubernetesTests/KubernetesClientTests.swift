import Foundation
import Kubernetes
import RedisCtlCore
import TestSupport
import Testing

/// Retries fast enough for a test suite, still exercising the retry path.
let fastRetries = KubernetesRetryPolicy(
    maxAttempts: 4, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50), maxTotalTime: .seconds(60)
)

let testNamespace = "redis-system"

/// A fake API server with the test namespace, and a client pointed at it; both shut down afterwards.
func withClient<Result: Sendable>(
    options: FakeAPIServerOptions = .init(),
    configure: (inout KubernetesClientConfiguration) -> Void = { _ in },
    _ body: (FakeKubernetesAPIServer, KubernetesClient) async throws -> Result
) async throws -> Result {
    try await FakeKubernetesAPIServer.withServer(options: options) { server in
        server.seed("namespaces", object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(testNamespace)]])
        var configuration = KubernetesClientConfiguration(server: server.baseURL)
        configuration.retryPolicy = fastRetries
        configure(&configuration)
        let client = KubernetesClient(configuration: configuration)
        let result: Result
        do {
            result = try await body(server, client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }
}

func configMapYAML(_ name: String, data: [String: String] = ["a": "1"], labels: [String: String] = [:]) -> String {
    var yaml = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: \(name)
          namespace: \(testNamespace)

        """
    if !labels.isEmpty {
        yaml += "  labels:\n" + labels.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"\n" }.joined()
    }
    yaml += "data:\n" + data.sorted { $0.key < $1.key }.map { "  \($0.key): \"\($0.value)\"\n" }.joined()
    return yaml
}

func configMapPath(_ name: String) -> String { "/api/v1/namespaces/\(testNamespace)/configmaps/\(name)" }
let configMapsPath = "/api/v1/namespaces/\(testNamespace)/configmaps"

/// Awaits the thrown `KubernetesAPIError`, failing the test when something else (or nothing) is thrown.
func apiError(_ body: () async throws -> Void) async -> KubernetesAPIError? {
    do {
        try await body()
        Issue.record("expected a KubernetesAPIError, got success")
        return nil
    } catch let error as KubernetesAPIError {
        return error
    } catch {
        Issue.record("expected a KubernetesAPIError, got \(error)")
        return nil
    }
}

@Suite("KubeJSON")
struct KubeJSONTests {
    @Test("path access, numbers and round trip")
    func pathAccess() throws {
        let json = try KubeJSON(data: Data(#"{"status":{"readyReplicas":3,"ratio":0.5,"ok":true,"names":["a","b"]}}"#.utf8))
        #expect(json["status"]["readyReplicas"].int == 3)
        #expect(json["status"]["ratio"].number == 0.5)
        #expect(json["status"]["ok"].bool == true)
        #expect(json["status"]["names"][1].string == "b")
        #expect(json["status"]["missing"]["deeper"].isNull)
        #expect(try KubeJSON(data: json.jsonData()) == json)
    }
}
