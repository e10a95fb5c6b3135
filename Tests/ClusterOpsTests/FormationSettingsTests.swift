import Testing
@testable import ClusterOps

@Suite struct FormationSettingsTests {
    static let defaults = ["cluster-node-timeout": "15000", "repl-diskless-sync": "yes",
                           "repl-diskless-sync-max-replicas": "0"]

    @Test func freshNodesWithRedisDefaultsGetEverySettingThatDiffersAndTheirOwnValuesBack() {
        let settings = FormationSettings.forInit(replicasPerMaster: 2, formationNodeTimeoutMs: 1000, shortenNodeTimeout: true)
        let tuning = settings.plan(current: Self.defaults, recorded: [], configuredNodeTimeoutMs: 5000)
        #expect(tuning.apply == [NodeSetting("cluster-node-timeout", "1000"), NodeSetting("repl-diskless-sync-max-replicas", "2")])
        #expect(tuning.restore == [NodeSetting("cluster-node-timeout", "15000"), NodeSetting("repl-diskless-sync-max-replicas", "0")])
    }

    @Test func nodesThatAreNotFreshKeepTheirNodeTimeout() {
        let settings = FormationSettings.forInit(replicasPerMaster: 0, formationNodeTimeoutMs: 1000, shortenNodeTimeout: false)
        var current = Self.defaults
        current["repl-diskless-sync"] = "no"
        let tuning = settings.plan(current: current, recorded: [], configuredNodeTimeoutMs: 15000)
        #expect(tuning.apply == [NodeSetting("repl-diskless-sync", "yes"), NodeSetting("repl-diskless-sync-max-replicas", "1")])
        #expect(!tuning.restore.contains { $0.name == "cluster-node-timeout" })
    }

    @Test func ownNodesNeedOnlyTheNodeTimeout() {
        let settings = FormationSettings.forInit(replicasPerMaster: 1, formationNodeTimeoutMs: 1000, shortenNodeTimeout: true)
        let own = ["cluster-node-timeout": "15000", "repl-diskless-sync": "yes", "repl-diskless-sync-max-replicas": "1"]
        let tuning = settings.plan(current: own, recorded: [], configuredNodeTimeoutMs: 15000)
        #expect(tuning.apply == [NodeSetting("cluster-node-timeout", "1000")])
        #expect(tuning.restore == [NodeSetting("cluster-node-timeout", "15000")])
    }

    @Test func aNodeTimeoutLeftByAnInterruptedInitGetsTheConfiguredValueBack() {
        let settings = FormationSettings.forInit(replicasPerMaster: 1, formationNodeTimeoutMs: 1000, shortenNodeTimeout: true)
        var current = Self.defaults
        current["cluster-node-timeout"] = "1000"
        let tuning = settings.plan(current: current, recorded: [], configuredNodeTimeoutMs: 15000)
        #expect(!tuning.apply.contains { $0.name == "cluster-node-timeout" })
        #expect(tuning.restore.contains(NodeSetting("cluster-node-timeout", "15000")))
        // Without a configured value there is nothing known to put back.
        let unknown = settings.plan(current: current, recorded: [], configuredNodeTimeoutMs: nil)
        #expect(!unknown.restore.contains { $0.name == "cluster-node-timeout" })
    }

    @Test func parametersAnOlderRedisDoesNotKnowAreLeftAlone() {
        let settings = FormationSettings.forInit(replicasPerMaster: 1, formationNodeTimeoutMs: 1000, shortenNodeTimeout: true)
        let tuning = settings.plan(current: ["cluster-node-timeout": "15000", "repl-diskless-sync": "no"],
                                   recorded: [], configuredNodeTimeoutMs: 15000)
        #expect(tuning.apply.map(\.name) == ["cluster-node-timeout", "repl-diskless-sync"])
        #expect(tuning.restore.map(\.name) == ["cluster-node-timeout", "repl-diskless-sync"])
    }

    @Test func recordedValuesOfAKilledRunAreWhatIsPutBack() {
        // A killed run left max-replicas 1 and a 1 s timeout; the record has the node's own values.
        let settings = FormationSettings.forInit(replicasPerMaster: 1, formationNodeTimeoutMs: 1000, shortenNodeTimeout: false)
        let current = ["cluster-node-timeout": "1000", "repl-diskless-sync": "yes", "repl-diskless-sync-max-replicas": "1"]
        let recorded = [NodeSetting("cluster-node-timeout", "15000"), NodeSetting("repl-diskless-sync-max-replicas", "0")]
        let tuning = settings.plan(current: current, recorded: recorded, configuredNodeTimeoutMs: nil)
        #expect(tuning.apply.isEmpty)
        #expect(Set(tuning.restore) == Set(recorded))
    }

    @Test func aResumedInitPutsBackANodeTimeoutLeftWithoutARecordOnlyWhenTheDeploymentSaysWhatItIs() {
        let settings = FormationSettings.forInit(replicasPerMaster: 1, formationNodeTimeoutMs: 1000, shortenNodeTimeout: false)
        #expect(settings.parameters.contains("cluster-node-timeout"))
        var current = Self.defaults
        current["cluster-node-timeout"] = "1000"
        let ours = settings.plan(current: current, recorded: [], configuredNodeTimeoutMs: 15000)
        #expect(ours.restore.contains(NodeSetting("cluster-node-timeout", "15000")))
        // Nodes redisctl did not configure: 1000 may be their own value, and nothing is guessed.
        let foreign = settings.plan(current: current, recorded: [], configuredNodeTimeoutMs: nil)
        #expect(!foreign.restore.contains { $0.name == "cluster-node-timeout" })
    }

    @Test func aFormedClusterOnlyGetsWhatAKilledRunLeftPutBack() {
        let settings = FormationSettings.leftoversOnly(formationNodeTimeoutMs: 1000)
        let recorded = [NodeSetting("repl-diskless-sync-max-replicas", "0")]
        let tuning = settings.plan(current: ["cluster-node-timeout": "15000"], recorded: recorded, configuredNodeTimeoutMs: 15000)
        #expect(tuning.apply.isEmpty)
        #expect(tuning.restore == recorded)
        #expect(settings.plan(current: ["cluster-node-timeout": "15000"], recorded: [], configuredNodeTimeoutMs: 15000)
            == NodeTuning(apply: [], restore: []))
    }
}
