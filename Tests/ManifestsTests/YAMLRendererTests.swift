import Foundation
import Testing
import Yams

@testable import Manifests

@Suite struct YAMLRendererTests {
    @Test func startsWithApiVersionKindMetadata() throws {
        let map = CoreV1.ConfigMap(
            metadata: ObjectMeta(name: "c", namespace: "ns", labels: ["b": "2", "a": "1"]),
            data: ["z": "last", "a": "first"])
        let text = try YAMLRenderer.render(map)
        #expect(text == """
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: c
              namespace: ns
              labels:
                a: '1'
                b: '2'
            data:
              a: first
              z: last

            """)
    }

    @Test(arguments: ["yes", "no", "on", "off", "Yes", "OFF", "true", "y", "n", "Y", "N", "0755", "1e3",
                      "null", "~", "", "1:20", "2024-01-01", "0x1F", "12", "3.5", ".inf"])
    func quotesStringsYAML11WouldReadAsSomethingElse(_ value: String) throws {
        let map = CoreV1.ConfigMap(metadata: ObjectMeta(name: "c"), data: ["value": value])
        let text = try YAMLRenderer.render(map)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("  value:") })
        let rendered = line.dropFirst("  value: ".count)
        #expect(rendered.hasPrefix("'") || rendered.hasPrefix("\""), "\(value) rendered unquoted: \(line)")
        // And it reads back as the same string.
        let back = try #require(try Yams.load(yaml: text) as? [String: Any])
        let data = try #require(back["data"] as? [String: Any])
        #expect(data["value"] as? String == value)
    }

    @Test func leavesOrdinaryStringsPlainAndNumbersUnquoted() throws {
        let service = CoreV1.Service(
            metadata: ObjectMeta(name: "s"),
            spec: .init(ports: [.init(name: "redis", port: 6379, targetPort: "redis")]))
        let text = try YAMLRenderer.render(service)
        #expect(text.contains("port: 6379\n"))
        #expect(text.contains("targetPort: redis\n"))
        #expect(text.contains("name: redis\n"))
    }

    @Test func omitsNilOptionalsInsteadOfWritingNull() throws {
        let secret = CoreV1.Secret(metadata: ObjectMeta(name: "s"))
        let text = try YAMLRenderer.render(secret)
        #expect(!text.contains("null"))
        #expect(!text.contains("stringData"))
    }

    @Test func multiLineStringsBecomeLiteralBlocks() throws {
        let map = CoreV1.ConfigMap(metadata: ObjectMeta(name: "c"), data: ["redis.conf": "port 6379\nappendonly yes\n"])
        let text = try YAMLRenderer.render(map)
        #expect(text.contains("redis.conf: |\n    port 6379\n    appendonly yes\n"))
    }

    @Test func streamHasOneDocumentPerObject() throws {
        let objects: [any KubernetesObject] = [
            CoreV1.Namespace(metadata: ObjectMeta(name: "a")),
            CoreV1.Namespace(metadata: ObjectMeta(name: "b")),
        ]
        let text = try YAMLRenderer.render(objects)
        #expect(text.components(separatedBy: "---\n").count == 3)
        let documents = try Array(Yams.load_all(yaml: text))
        #expect(documents.count == 2)
    }
}

@Suite struct APIResourceTests {
    @Test func buildsCorePaths() {
        #expect(CoreV1.Service.resource.objectPath(name: "redis", namespace: "redis-system")
            == "/api/v1/namespaces/redis-system/services/redis")
        #expect(CoreV1.Namespace.resource.objectPath(name: "redis-system", namespace: "ignored")
            == "/api/v1/namespaces/redis-system")
    }

    @Test func buildsGroupPaths() {
        #expect(AppsV1.StatefulSet.resource.collectionPath(namespace: "ns") == "/apis/apps/v1/namespaces/ns/statefulsets")
        #expect(MonitoringV1.PrometheusRule.resource.apiVersion == "monitoring.coreos.com/v1")
    }
}
