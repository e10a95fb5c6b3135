@testable import ClusterOps

/// Samples captured from Redis 7.0.15 (`cluster-announce-hostname` set), plus the states
/// after a failover, built from them.
enum Fixtures {
    static let id0 = "7a78f82b105a5783d8c85911ad184c0481f888ef"
    static let id1 = "d8fe6b5c073124e186f76c7d9ece3a3d0174a75f"
    static let id2 = "def24295c435c6fd69a5c2b0d06a16d8d89d4462"
    static let id3 = "c8480b4c3e6614bd1b40764b3368e325ac5123bc"
    static let id4 = "14395df51d1d2faa51708be3b10710efa86cddd6"
    static let id5 = "82358c9f26abbb77865e5bdd41eb83eccec08853"
    static let ids = [id0, id1, id2, id3, id4, id5]

    /// redis-cluster-N at 127.0.0.1:1700(N+1); masters 0,1,2; 3 replicates 1, 4 replicates 2, 5 replicates 0.
    static func line(_ index: Int, flags: String, master: String = "-", epoch: Int, link: String = "connected", slots: String = "", ping: String = "0", pong: String = "1795715579038") -> String {
        let port = 17001 + index
        let tail = slots.isEmpty ? "" : " " + slots
        return "\(ids[index]) 127.0.0.1:\(port)@\(port + 10000),redis-cluster-\(index).redis-cluster-headless \(flags) \(master) \(ping) \(pong) \(epoch) \(link)\(tail)"
    }

    /// The healthy cluster as node `me` sees it.
    static func healthy(from me: Int) -> String {
        let rows: [(String, String, Int, String)] = [
            ("master", "-", 1, "0-5460"),
            ("master", "-", 2, "5461-10922"),
            ("master", "-", 3, "10923-16383"),
            ("slave", id1, 2, ""),
            ("slave", id2, 3, ""),
            ("slave", id0, 1, ""),
        ]
        return rows.enumerated().map { index, row in
            line(index, flags: index == me ? "myself," + row.0 : row.0, master: row.1, epoch: row.2, slots: row.3)
        }.joined(separator: "\r\n") + "\r\n"
    }

    /// Master redis-cluster-2 was killed; its replica redis-cluster-4 took over with epoch 7.
    static func failedOver(from me: Int) -> String {
        let rows: [(String, String, Int, String, String)] = [
            ("master", "-", 1, "0-5460", "connected"),
            ("master", "-", 2, "5461-10922", "connected"),
            ("master,fail", "-", 3, "", "disconnected"),
            ("slave", id1, 2, "", "connected"),
            ("master", "-", 7, "10923-16383", "connected"),
            ("slave", id0, 1, "", "connected"),
        ]
        return rows.enumerated().map { index, row in
            line(index, flags: index == me ? "myself," + row.0 : row.0, master: row.1, epoch: row.2, link: row.4, slots: row.3)
        }.joined(separator: "\n")
    }

    static let clusterInfoOK = """
        cluster_state:ok\r
        cluster_slots_assigned:16384\r
        cluster_slots_ok:16384\r
        cluster_slots_pfail:0\r
        cluster_slots_fail:0\r
        cluster_known_nodes:6\r
        cluster_size:3\r
        cluster_current_epoch:6\r
        cluster_my_epoch:1\r

        """

    static func info(role: String, linkUp: Bool = true, usedMemory: Int64 = 1_866_696, maxmemory: Int64 = 0,
                     evicted: Int = 0, aof: Bool = true, aofStatus: String = "ok", rdbStatus: String = "ok", keys: Int? = nil) -> String {
        var text = """
            # Server\r
            redis_version:7.0.15\r
            redis_mode:cluster\r
            executable:/usr/bin/redis-server\r
            \r
            # Memory\r
            used_memory:\(usedMemory)\r
            used_memory_human:1.78M\r
            maxmemory:\(maxmemory)\r
            maxmemory_policy:allkeys-lru\r
            \r
            # Persistence\r
            loading:0\r
            rdb_last_bgsave_status:\(rdbStatus)\r
            aof_enabled:\(aof ? 1 : 0)\r
            aof_last_write_status:\(aofStatus)\r
            \r
            # Stats\r
            evicted_keys:\(evicted)\r
            \r
            # Replication\r
            role:\(role)\r

            """
        if role == "slave" {
            text += "master_host:127.0.0.1\r\nmaster_port:17002\r\nmaster_link_status:\(linkUp ? "up" : "down")\r\nconnected_slaves:0\r\n"
        } else {
            text += "connected_slaves:1\r\n"
        }
        text += "\r\n# Cluster\r\ncluster_enabled:1\r\n\r\n# Keyspace\r\n"
        if let keys { text += "db0:keys=\(keys),expires=0,avg_ttl=0\r\n" }
        return text
    }

    static let roles = ["master", "master", "master", "slave", "slave", "slave"]

    /// A healthy observation of node `index`, on its own Kubernetes node in one of three zones.
    static func observation(_ index: Int, topology: String? = nil, info: String? = nil, clusterInfo: String = clusterInfoOK) throws -> NodeObservation {
        NodeObservation(
            name: "redis-cluster-\(index)", host: "127.0.0.1", port: 17001 + index,
            failureDomain: FailureDomain(node: "node-\(index)", zone: "zone-\(index % 3)"),
            reachability: .reachable, unauthenticatedAccessRefused: true,
            info: InfoSections.parse(info ?? Self.info(role: roles[index])),
            clusterInfo: InfoSections.parse(clusterInfo),
            topology: try ClusterTopology.parse(topology ?? healthy(from: index))
        )
    }

    static func healthyObservations() throws -> [NodeObservation] {
        try (0..<6).map { try observation($0) }
    }

    static let expectations = ClusterExpectations(replicasPerMaster: 1, appendonly: true, rdbEnabled: true, expectedNodeCount: 6)
}
