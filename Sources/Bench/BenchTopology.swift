import ClusterOps
import RedisCtlCore
import RESP

/// The masters a benchmark sends to and which of them owns each slot.
public struct BenchTopology: Sendable, Equatable {
    public var isCluster: Bool
    public var masters: [RedisEndpoint]
    /// Index into `masters` for each of the 16384 slots.
    public var slotOwners: [UInt8]

    public init(isCluster: Bool, masters: [RedisEndpoint], slotOwners: [UInt8]) {
        self.isCluster = isCluster
        self.masters = masters
        self.slotOwners = slotOwners
    }

    /// One node that is not a cluster: every key goes to it.
    public static func standalone(_ endpoint: RedisEndpoint) -> BenchTopology {
        BenchTopology(isCluster: false, masters: [endpoint], slotOwners: Array(repeating: 0, count: KeySlot.count))
    }

    /// From a node's CLUSTER NODES: the masters that hold slots (failed ones left out).
    /// Unassigned slots go to the first master, which answers them with an error that is counted.
    public static func cluster(_ topology: ClusterTopology) throws -> BenchTopology {
        let masters = topology.masters.filter { !$0.slots.isEmpty && !$0.isFailed && $0.hasAddress }
            .sorted { $0.address < $1.address }
        guard !masters.isEmpty else {
            throw GeneralFailure(.cannotRun, "the cluster has no master serving slots; run init-cluster first")
        }
        guard masters.count <= 255 else {
            throw GeneralFailure(.cannotRun, "the cluster has \(masters.count) masters; benchmark supports up to 255")
        }
        var owners = Array(repeating: UInt8(0), count: KeySlot.count)
        for (index, master) in masters.enumerated() {
            for range in master.slots {
                for slot in range.start...range.end where slot >= 0 && slot < KeySlot.count { owners[slot] = UInt8(index) }
            }
        }
        return BenchTopology(isCluster: true, masters: masters.map { RedisEndpoint(host: $0.host, port: $0.port) },
                             slotOwners: owners)
    }

    /// Asks the first seed that answers: INFO says whether cluster mode is on; CLUSTER NODES names
    /// the masters and their slots.
    public static func discover(seeds: [RedisEndpoint], connector: NodeConnector) async throws -> BenchTopology {
        var failures: [String] = []
        for seed in seeds {
            let connection: RedisConnection
            do {
                connection = try await connector.connect(seed)
            } catch let error as RedisError where error.category == .cannotRun && (error.kind == .wrongPass || error.kind == .noAuth) {
                throw GeneralFailure(.cannotRun, error.message)
            } catch {
                failures.append("\(seed): \((error as? any CustomStringConvertible)?.description ?? "\(error)")")
                continue
            }
            do {
                let topology = try await describe(seed, connection)
                await connection.close()
                return topology
            } catch {
                await connection.close()
                throw error
            }
        }
        throw GeneralFailure(.cannotRun, "no node reachable to benchmark (\(failures.first ?? "no nodes given")); check that the cluster runs")
    }

    private static func describe(_ seed: RedisEndpoint, _ connection: RedisConnection) async throws -> BenchTopology {
        let info = InfoSections.parse(try await connection.send("INFO", "cluster").string ?? "")
        guard info.clusterEnabled == true else { return .standalone(seed) }
        return try cluster(try ClusterTopology.parse(try await connection.send("CLUSTER", "NODES"), from: seed))
    }
}
