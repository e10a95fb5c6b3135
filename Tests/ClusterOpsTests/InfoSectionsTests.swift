import Testing
@testable import ClusterOps

@Suite struct InfoSectionsTests {
    @Test func parsesSectionsAndTypedFields() {
        let info = InfoSections.parse(Fixtures.info(role: "slave", linkUp: true, usedMemory: 900, maxmemory: 1000, evicted: 3, keys: 42))
        #expect(info.sectionOrder == ["Server", "Memory", "Persistence", "Stats", "Replication", "Cluster", "Keyspace"])
        #expect(info.section("replication")?["role"] == "slave")
        #expect(info.redisVersion == "7.0.15")
        #expect(info.role == .replica)
        #expect(info.masterLinkStatus == "up" && info.masterLinkIsUp == true)
        #expect(info.connectedReplicas == 0)
        #expect(info.usedMemory == 900 && info.maxmemory == 1000)
        #expect(info.usedMemoryRatio == 0.9)
        #expect(info.evictedKeys == 3)
        #expect(info.aofEnabled == true)
        #expect(info.aofLastWriteStatus == "ok" && info.rdbLastBgsaveStatus == "ok")
        #expect(info.clusterEnabled == true)
        #expect(info.loading == false)
        #expect(info.db0Keys == 42)
        #expect(info.keyspace(database: 0) == InfoSections.KeyspaceStats(keys: 42, expires: 0, averageTTL: 0))
        #expect(info["executable"] == "/usr/bin/redis-server")
    }

    @Test func masterWithoutKeysOrLimit() {
        let info = InfoSections.parse(Fixtures.info(role: "master"))
        #expect(info.role == .master)
        #expect(info.masterLinkStatus == nil)
        #expect(info.usedMemoryRatio == nil)
        #expect(info.db0Keys == 0)
        #expect(info.keyspace(database: 0) == nil)
    }

    @Test func parsesClusterInfoWithoutSections() {
        let info = InfoSections.parse(Fixtures.clusterInfoOK)
        #expect(info.clusterState == "ok" && info.clusterStateIsOK == true)
        #expect(info.clusterSlotsAssigned == 16384)
        #expect(info.clusterKnownNodes == 6)
        #expect(info.clusterCurrentEpoch == 6 && info.clusterMyEpoch == 1)
        #expect(info.sectionOrder == [""])
    }

    @Test func valuesKeepTheirColonsAndJunkIsIgnored() {
        let info = InfoSections.parse("# Replication\nmaster_host:::1\nnot a field\n\n  \nrole:slave\nloading:maybe\n")
        #expect(info["master_host"] == "::1")
        #expect(info.fields.count == 3)
        #expect(info.loading == nil)
        #expect(InfoSections.parse("").fields.isEmpty)
    }
}
