import Testing
@testable import ClusterOps

@Suite struct TopologyTests {
    @Test func parsesRedis7OutputWithHostnames() throws {
        let topology = try ClusterTopology.parse(Fixtures.healthy(from: 0))
        #expect(topology.nodes.count == 6)
        let myself = try #require(topology.myself)
        #expect(myself.id == Fixtures.id0)
        #expect(myself.host == "127.0.0.1")
        #expect(myself.port == 17001)
        #expect(myself.busPort == 27001)
        #expect(myself.hostname == "redis-cluster-0.redis-cluster-headless")
        #expect(myself.displayName == "redis-cluster-0")
        #expect(myself.flags == [.myself, .master])
        #expect(myself.masterId == nil)
        #expect(myself.configEpoch == 1)
        #expect(myself.linkState == .connected)
        #expect(myself.slots == [SlotRange(0, 5460)])
        #expect(topology.masters.map(\.id) == [Fixtures.id0, Fixtures.id1, Fixtures.id2])
        #expect(topology.replicas(of: Fixtures.id1).map(\.id) == [Fixtures.id3])
        #expect(topology.node(id: Fixtures.id4)?.isReplica == true)
        #expect(topology.node(id: Fixtures.id4)?.pongReceived == 1_795_715_579_038)
        #expect(topology.owner(ofSlot: 10923)?.id == Fixtures.id2)
        #expect(topology.owner(ofSlot: 5460)?.id == Fixtures.id0)
        #expect(topology.assignedSlotCount == 16384)
    }

    @Test func signatureIsTheSameFromEveryNode() throws {
        let signatures = try (0..<6).map { try ClusterTopology.parse(Fixtures.healthy(from: $0)).signature }
        #expect(Set(signatures).count == 1)
        let expected = [
            "\(Fixtures.id0):0-5460", "\(Fixtures.id1):5461-10922", "\(Fixtures.id2):10923-16383",
        ].sorted().joined(separator: "|")
        #expect(signatures[0] == expected)
        #expect(try ClusterTopology.parse(Fixtures.failedOver(from: 0)).signature != signatures[0])
    }

    @Test func parsesMigratingAndImportingEntries() throws {
        let source = "\(Fixtures.id0) 127.0.0.1:17001@27001,redis-cluster-0.redis-cluster-headless myself,master - 0 1795715580000 1 connected 0-5460 [100->-\(Fixtures.id1)]"
        let target = "\(Fixtures.id1) 127.0.0.1:17002@27002,redis-cluster-1.redis-cluster-headless myself,master - 0 1795715581000 2 connected 5461-10922 [100-<-\(Fixtures.id0)]"
        let migrating = try #require(ClusterTopology.parse(source).myself)
        #expect(migrating.migrating == [ClusterNode.SlotMigration(slot: 100, peerId: Fixtures.id1)])
        #expect(migrating.importing.isEmpty)
        #expect(migrating.slots == [SlotRange(0, 5460)])
        let importing = try #require(ClusterTopology.parse(target).myself)
        #expect(importing.importing == [ClusterNode.SlotMigration(slot: 100, peerId: Fixtures.id0)])
        #expect(importing.hasOpenSlots)
        // Open-slot entries are not part of the configuration signature.
        #expect(try ClusterTopology.parse(source).signature == "\(Fixtures.id0):0-5460")
    }

    @Test func parsesFailHandshakeNoaddrAndPfail() throws {
        let text = """
            \(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - 0 0 1 connected 0-16383
            \(Fixtures.id1) :0@0 master,fail,noaddr - 1795715582053 1795715581048 3 disconnected
            \(Fixtures.id2) 127.0.0.1:17007@27007 handshake - 1795715582000 0 0 disconnected
            \(Fixtures.id3) 127.0.0.1:17004@27004 slave,fail? \(Fixtures.id0) 1795715582053 0 1 connected
            \(Fixtures.id4) 127.0.0.1:17005@27005 slave,nofailover \(Fixtures.id0) 0 0 1 connected
            \(Fixtures.id5) 127.0.0.1:17006@27006 noflags - 0 0 0 connected
            """
        let topology = try ClusterTopology.parse(text)
        let noaddr = try #require(topology.node(id: Fixtures.id1))
        #expect(noaddr.flags == [.master, .failed, .noAddress])
        #expect(noaddr.host.isEmpty && noaddr.port == 0 && !noaddr.hasAddress)
        #expect(noaddr.isFailed && noaddr.linkState == .disconnected)
        #expect(noaddr.hostname == nil)
        #expect(topology.node(id: Fixtures.id2)?.isHandshake == true)
        #expect(topology.node(id: Fixtures.id3)?.isPossiblyFailed == true)
        #expect(topology.node(id: Fixtures.id4)?.flags == [.replica, .noFailover])
        #expect(topology.node(id: Fixtures.id5)?.flags == [.noFlags])
        #expect(topology.replicas(of: Fixtures.id0).count == 2)
    }

    @Test func parsesIPv6OldFormatAndAuxFields() throws {
        let v6 = try #require(ClusterNode(clusterNodesLine: "\(Fixtures.id0) ::1:6379@16379 master - 0 0 1 connected 0-1 3 5-7"))
        #expect(v6.host == "::1" && v6.port == 6379 && v6.busPort == 16379)
        #expect(v6.address == "[::1]:6379")
        #expect(v6.slots == [SlotRange(0, 1), SlotRange(3, 3), SlotRange(5, 7)])
        let old = try #require(ClusterNode(clusterNodesLine: "\(Fixtures.id0) 10.0.0.5:6379 master - 0 0 1 connected"))
        #expect(old.busPort == 16379)
        let aux = try #require(ClusterNode(clusterNodesLine: "\(Fixtures.id0) 10.0.0.5:6379@16379,,shard-id=abc master - 0 0 1 connected"))
        #expect(aux.hostname == nil)
        let named = try #require(ClusterNode(clusterNodesLine: "\(Fixtures.id0) 10.0.0.5:6379@16379,redis-0,shard-id=abc master - 0 0 1 connected"))
        #expect(named.hostname == "redis-0")
        let unknown = try #require(ClusterNode(clusterNodesLine: "\(Fixtures.id0) 10.0.0.5:6379@16379 master,future-flag - 0 0 1 connected"))
        #expect(unknown.otherFlags == ["future-flag"])
    }

    @Test(arguments: [
        "ERR This instance has cluster support disabled",
        "\(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - 0 0 1",
        "nothex 127.0.0.1:17001@27001 myself,master - 0 0 1 connected",
        "\(Fixtures.id0) 127.0.0.1:port@27001 myself,master - 0 0 1 connected",
        "\(Fixtures.id0) 127.0.0.1:17001@27001 myself,master notanid 0 0 1 connected",
        "\(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - x 0 1 connected",
        "\(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - 0 0 1 half-connected",
        "\(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - 0 0 1 connected 0-16384",
        "\(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - 0 0 1 connected [100->-short]",
        "\(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - 0 0 1 connected [100]",
    ])
    func malformedLineIsNamed(line: String) throws {
        let text = Fixtures.healthy(from: 1) + line + "\n"
        let error = try #require(throws: ClusterOpsError.self) { try ClusterTopology.parse(text) }
        #expect(error.code == .malformedClusterNodes)
        #expect(error.category == .operationFailed)
        #expect(error.message.contains("line 7"))
        #expect(error.message.contains(String(line.prefix(20))))
    }

    @Test func duplicateNodeIsRejected() throws {
        let line = Fixtures.line(0, flags: "master", epoch: 1)
        #expect(throws: ClusterOpsError.self) { try ClusterTopology.parse(line + "\n" + line) }
    }

    @Test func emptyReplyIsAnEmptyTopology() throws {
        let topology = try ClusterTopology.parse("\r\n\n")
        #expect(topology.nodes.isEmpty && topology.myself == nil && topology.signature.isEmpty)
    }

    @Test func slotMapFromTopologyFindsGaps() throws {
        let text = """
            \(Fixtures.id0) 127.0.0.1:17001@27001 myself,master - 0 0 1 connected 0-100
            \(Fixtures.id1) 127.0.0.1:17002@27002 master - 0 0 2 connected 200-16383
            """
        let topology = try ClusterTopology.parse(text)
        #expect(topology.assignedSlotCount == 16384 - 99)
        #expect(topology.slotMap.unassignedRanges == [SlotRange(101, 199)])
        #expect(topology.owner(ofSlot: 150) == nil)
    }

    /// Regression test: lookups by id scanned every node, so reading the masters and replicas of a
    /// reply of thousands of nodes cost time quadratic in their number. 20,000 nodes: a generous bound.
    @Test func thousandsOfNodesParseAndLookUpInLinearTime() throws {
        let masters = 10_000
        func id(_ number: Int) -> String { String(repeating: "0", count: 32) + String(format: "%08x", number) }
        var lines: [String] = []
        for index in 0..<masters {
            let host = "10.\(index / 65536).\(index / 256 % 256).\(index % 256)"
            lines.append("\(id(index)) \(host):6379@16379 \(index == 0 ? "myself," : "")master - 0 0 \(index + 1) connected")
            lines.append("\(id(masters + index)) \(host):6380@16380 slave \(id(index)) 0 0 \(index + 1) connected")
        }
        let text = lines.joined(separator: "\n")
        let started = ContinuousClock.now
        let topology = try ClusterTopology.parse(text)
        var found = 0
        for master in topology.masters {
            for replica in topology.replicas(of: master.id) where topology.node(id: replica.masterId ?? "")?.id == master.id {
                found += 1
            }
        }
        let elapsed = ContinuousClock.now - started
        #expect(topology.nodes.count == 2 * masters)
        #expect(found == masters)
        #expect(topology.myself?.id == id(0))
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }

    @Test func editedNodesKeepTheLookupsTrue() throws {
        var topology = try ClusterTopology.parse(Fixtures.healthy(from: 1))
        let replica = try #require(topology.nodes.first { $0.isReplica })
        let index = try #require(topology.nodes.firstIndex(of: replica))
        topology.nodes[index].masterId = nil
        topology.nodes[index].flags.subtract([.replica])
        topology.nodes[index].flags.insert(.master)
        #expect(topology.replicas(of: replica.masterId ?? "").contains { $0.id == replica.id } == false)
        #expect(topology.node(id: replica.id)?.isMaster == true)
    }
}
