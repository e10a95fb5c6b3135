import ClusterOps
import RedisCtlCore
import RESP

/// Which master of the target cluster owns each slot: the routing table of a restore.
public struct SlotRouter: Sendable {
    /// The masters that own slots, in a stable order.
    public let masters: [ClusterNode]
    private let ownerIndex: [Int]

    /// Fails when a slot has no master: keys hashing there would have nowhere to go.
    public init(topology: ClusterTopology) throws {
        let masters = topology.masters.filter { !$0.slots.isEmpty && !$0.isFailed }.sorted { $0.address < $1.address }
        var owner = [Int](repeating: -1, count: KeySlot.count)
        for (index, master) in masters.enumerated() {
            for range in master.slots {
                for slot in range.slots where SlotRange.isValidSlot(slot) { owner[slot] = index }
            }
        }
        let missing = (0..<KeySlot.count).filter { owner[$0] < 0 }
        guard missing.isEmpty else {
            let ranges = SlotRange.ranges(covering: missing)
            throw GeneralFailure(.cannotRun, "the target cluster has no master for slots \(SlotRange.describe(ranges)); run init-cluster (or wait for failover) before restoring")
        }
        self.masters = masters
        ownerIndex = owner
    }

    /// The index in `masters` of the owner of `key`'s slot (honouring hash tags).
    public func masterIndex(forKey key: [UInt8]) -> Int {
        ownerIndex[KeySlot.slot(forBytes: key)]
    }

    /// The index in `masters` of the owner of `slot` (0..<16384).
    public func masterIndex(ofSlot slot: Int) -> Int {
        ownerIndex[slot]
    }

    public func endpoint(_ index: Int) -> RedisEndpoint {
        RedisEndpoint(host: masters[index].host, port: masters[index].port)
    }
}
