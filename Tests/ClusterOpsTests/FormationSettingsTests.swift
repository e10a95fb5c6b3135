import Testing
@testable import ClusterOps

@Suite struct FormationSettingsTests {
    static let defaults = ["cluster-node-timeout": "15000", "repl-diskless-sync": "yes",
                           "repl-diskless-sync-max-replicas": "0"]

    @Test func freshNodesWithRedisDefaultsGetEverySettingThatDiffersAndTheirOwnValuesBack() {
        let settings = FormationSettings.forInit(replicasPerMaster: 2, nodeTimeoutMs: 1000)
        let tuning = settings.plan(current: Self.defaults, configuredNodeTimeoutMs: 5000)
        #expect(tuning.apply == [NodeSetting("cluster-node-timeout", "1000"), NodeSetting("repl-diskless-sync-max-replicas", "2")])
        #expect(tuning.restore == [NodeSetting("cluster-node-timeout", "15000"), NodeSetting("repl-diskless-sync-max-replicas", "0")])
    }

    @Test func nodesThatAreNotFreshKeepTheirNodeTimeout() {
        let settings = FormationSettings.forInit(replicasPerMaster: 0, nodeTimeoutMs: nil)
        var current = Self.defaults
        current["repl-diskless-sync"] = "no"
        let tuning = settings.plan(current: current, configuredNodeTimeoutMs: 15000)
        #expect(tuning.apply == [NodeSetting("repl-diskless-sync", "yes"), NodeSetting("repl-diskless-sync-max-replicas", "1")])
        #expect(!tuning.restore.contains { $0.name == "cluster-node-timeout" })
    }

    @Test func ownNodesNeedOnlyTheNodeTimeout() {
        let settings = FormationSettings.forInit(replicasPerMaster: 1, nodeTimeoutMs: 1000)
        let own = ["cluster-node-timeout": "15000", "repl-diskless-sync": "yes", "repl-diskless-sync-max-replicas": "1"]
        let tuning = settings.plan(current: own, configuredNodeTimeoutMs: 15000)
        #expect(tuning.apply == [NodeSetting("cluster-node-timeout", "1000")])
        #expect(tuning.restore == [NodeSetting("cluster-node-timeout", "15000")])
    }

    @Test func aNodeTimeoutLeftByAnInterruptedInitGetsTheConfiguredValueBack() {
        let settings = FormationSettings.forInit(replicasPerMaster: 1, nodeTimeoutMs: 1000)
        var current = Self.defaults
        current["cluster-node-timeout"] = "1000"
        let tuning = settings.plan(current: current, configuredNodeTimeoutMs: 15000)
        #expect(!tuning.apply.contains { $0.name == "cluster-node-timeout" })
        #expect(tuning.restore.contains(NodeSetting("cluster-node-timeout", "15000")))
        // Without a configured value there is nothing known to put back.
        let unknown = settings.plan(current: current, configuredNodeTimeoutMs: nil)
        #expect(!unknown.restore.contains { $0.name == "cluster-node-timeout" })
    }

    @Test func parametersAnOlderRedisDoesNotKnowAreLeftAlone() {
        let settings = FormationSettings.forInit(replicasPerMaster: 1, nodeTimeoutMs: 1000)
        let tuning = settings.plan(current: ["cluster-node-timeout": "15000", "repl-diskless-sync": "no"],
                                   configuredNodeTimeoutMs: 15000)
        #expect(tuning.apply.map(\.name) == ["cluster-node-timeout", "repl-diskless-sync"])
        #expect(tuning.restore.map(\.name) == ["cluster-node-timeout", "repl-diskless-sync"])
    }
}
