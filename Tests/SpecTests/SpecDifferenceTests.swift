import Foundation
import Testing
@testable import Spec

@Suite struct SpecDifferenceTests {
    @Test func theSameSpecHasNoDifferences() {
        #expect(RedisDeployment.defaults.differences(from: .defaults).isEmpty)
    }

    @Test func differingFieldsAreNamedByTheirSpecPath() {
        var other = RedisDeployment.defaults
        other.spec.masters = 5
        other.spec.redis.maxmemory = "256mb"
        other.spec.redis.extraConfig = ["lazyfree-lazy-eviction": "yes"]
        other.spec.monitoring.serviceMonitor.toggle()
        let paths = RedisDeployment.defaults.differences(from: other)
        #expect(paths == ["spec.masters", "spec.monitoring.serviceMonitor", "spec.redis.extraConfig.lazyfree-lazy-eviction",
                          "spec.redis.maxmemory"])
        #expect(RedisDeployment.defaults.differences(from: other, ignoring: RedisDeployment.sizePaths)
                == ["spec.monitoring.serviceMonitor", "spec.redis.extraConfig.lazyfree-lazy-eviction", "spec.redis.maxmemory"])
    }

    @Test func aSummaryNamesAtMostFiveFields() {
        #expect(RedisDeployment.summary(of: ["spec.image"]) == "spec.image")
        let seven = (1...7).map { "spec.f\($0)" }
        #expect(RedisDeployment.summary(of: seven) == "spec.f1, spec.f2, spec.f3, spec.f4, spec.f5 and 2 more")
    }

    @Test func aSpecSurvivesJSONUnchanged() throws {
        var deployment = RedisDeployment.defaults
        deployment.metadata.name = "orders"
        deployment.spec.replicasPerMaster = 2
        deployment.spec.redis.save = []
        deployment.spec.redis.extraConfig = ["hz": "50"]
        let data = try JSONEncoder().encode(deployment)
        #expect(try JSONDecoder().decode(RedisDeployment.self, from: data) == deployment)
    }
}
