import Foundation
import Spec
import Testing
import Yams

@testable import Manifests

@Suite struct HelmValuesTests {
    func values(_ deployment: RedisDeployment) throws -> [String: Any] {
        let text = try HelmValues.render(deployment)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    @Test func defaultValuesMatchTheSpec() throws {
        let values = try values(.defaults)
        let cluster = try #require(values["cluster"] as? [String: Any])
        #expect(cluster["nodes"] as? Int == 6)
        #expect(cluster["replicas"] as? Int == 1)
        #expect(values["existingSecret"] as? String == "redis-auth")
        #expect(values["usePassword"] as? Bool == true)
        let image = try #require(values["image"] as? [String: Any])
        #expect(image["repository"] as? String == "bitnami/redis-cluster")
        #expect(image["tag"] as? String == "7.2")
        let persistence = try #require(values["persistence"] as? [String: Any])
        #expect(persistence["size"] as? String == "100Gi")
        #expect(persistence["storageClass"] == nil)
        #expect((values["pdb"] as? [String: Any])?["maxUnavailable"] as? Int == 1)
        #expect((values["pdb"] as? [String: Any])?["minAvailable"] == nil)
        let redis = try #require(values["redis"] as? [String: Any])
        #expect(redis["podAntiAffinityPreset"] as? String == "hard")
        let configmap = try #require(redis["configmap"] as? String)
        #expect(configmap.contains("maxmemory 6gb\n"))
        #expect(configmap.contains("maxmemory-policy allkeys-lru\n"))
        #expect(!configmap.contains("cluster-enabled"))
        let metrics = try #require(values["metrics"] as? [String: Any])
        let exporter = try #require(metrics["image"] as? [String: Any])
        #expect(exporter["repository"] as? String == "oliver006/redis_exporter")
        #expect(exporter["tag"] as? String == "v1.55.0")
        let rules = try #require((metrics["prometheusRule"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.count >= 15)
        #expect(rules.allSatisfy { ($0["expr"] as? String)?.contains("redis-redis-cluster-metrics") ?? false
            || ($0["expr"] as? String)?.contains("kube_") ?? false })
    }

    @Test func customShapeReachesTheValues() throws {
        let values = try values(Shapes.customStorageClass)
        #expect((values["persistence"] as? [String: Any])?["storageClass"] as? String == "fast-ssd")
        let fifteen = try self.values(Shapes.fiveMastersTwoReplicas)
        #expect((fifteen["cluster"] as? [String: Any])?["nodes"] as? Int == 15)
        #expect((fifteen["cluster"] as? [String: Any])?["replicas"] as? Int == 2)
    }

    @Test func sentinelTopologyIsNotAClusterChart() {
        #expect(throws: ManifestsError.self) { try HelmValues.render(Shapes.sentinel) }
    }

    @Test func valuesAreYamllintClean() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("helm-values.yaml")
        try HelmValues.render(.defaults).write(to: file, atomically: true, encoding: .utf8)
        let config = Fixtures.directory.appendingPathComponent("yamllint.yaml").path
        guard let result = try ExternalTool(name: "yamllint").run(["--strict", "-c", config, file.path]) else { return }
        #expect(result.exitCode == 0, "\(result.output)")
    }
}

@Suite struct InvalidSpecTests {
    @Test func anInvalidSpecIsReportedNotTrappedOn() {
        var deployment = RedisDeployment.defaults
        deployment.spec.replicasPerMaster = -1
        #expect(throws: SpecError.self) { try ManifestSet.build(from: deployment) }
        #expect(throws: SpecError.self) { try HelmValues.render(deployment) }
    }
}
