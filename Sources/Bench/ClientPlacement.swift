/// Where each client sends and which event loop carries it, decided once for a run.
///
/// As with redis-benchmark --cluster, client `i` sends to master `i % masters` when clients are
/// bound to masters (see `KeyGenerator.bindsClientsToMasters`). The clients of one master then
/// share a loop when there are at least as many masters as loops, so each master gets its requests
/// in one burst per loop turn, not a few smaller ones from every loop (a master's per-turn work, its
/// AOF write and its write to the replica, is then shared by more requests); otherwise clients go
/// round robin over the loops.
struct ClientPlacement: Sendable, Equatable {
    /// The master each client sends to; nil when it sends wherever its keys live.
    let boundMasters: [Int?]
    /// Each client's event loop.
    let loops: [Int]
    /// Each client's place among the clients of its loop.
    let positions: [Int]

    init(clients: Int, loops loopCount: Int, masters: Int, bindsClientsToMasters: Bool) {
        boundMasters = (0..<clients).map { bindsClientsToMasters && masters > 1 ? $0 % masters : nil }
        let loopCount = max(loopCount, 1)
        let byMaster = bindsClientsToMasters && masters >= loopCount
        loops = (0..<clients).map { byMaster ? ($0 % masters) % loopCount : $0 % loopCount }
        var next = [Int](repeating: 0, count: loopCount)
        positions = loops.map { loop in
            defer { next[loop] += 1 }
            return next[loop]
        }
    }

    /// The clients `loop` carries, in their order on it.
    func clients(onLoop loop: Int) -> [Int] {
        loops.indices.filter { loops[$0] == loop }
    }

    /// Loops when `--threads` is not given: one per core, or one per master when clients are bound
    /// to masters and there are more masters than cores (up to two loops per core), so each master
    /// has a loop of its own. On 2 cores with 3 masters, 3 loops carry about a third more requests
    /// than 2: a loop then serves whole masters.
    static func eventLoopCount(cores: Int, masters: Int, bindsClientsToMasters: Bool) -> Int {
        guard bindsClientsToMasters else { return cores }
        return max(cores, min(masters, 2 * cores))
    }
}
