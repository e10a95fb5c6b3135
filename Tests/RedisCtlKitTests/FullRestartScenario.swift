import ClusterOps
import Foundation
import RESP
import RedisCtlCore
import TestSupport

/// Every pod deleted at once (a drain, a cluster upgrade, `kubectl delete pod --all`): each comes
/// back on a new IP, and the cluster must heal with no redisctl command run: the same node ids,
/// slots and keys, every node listing every peer at its current address, and a redirected read
/// working from every node.
struct FullRestartScenario {
    var server: FakeKubernetesAPIServer
    var namespace = "redis-system"
    var password: String
    /// The issue's promise: healed within this long after the last pod is Ready.
    var healBound: Duration = .seconds(30)

    struct Failure: Error, CustomStringConvertible { var description: String }

    static let keyCount = 300

    /// Returns how long after the last pod was Ready the cluster was healed.
    func run() async throws -> Duration {
        let before = try await nodesByPod()
        let oldAddresses = Set(before.values.map(\.address))
        let writer = ClusterTestClient(seeds: before.values.map { RedisEndpoint(host: $0.address, port: 6379) }, password: password)
        try await writer.fill(count: Self.keyCount, prefix: "full-restart:", valueSize: 16)
        await writer.close()

        server.deleteObjects("pods", namespace: namespace, names: Array(before.keys))
        let lastReady = try await poll("every pod back and Ready on a new address", until: .after(.seconds(120))) {
            let pods = server.objects("pods", namespace: namespace)
            let ready = pods.filter { pod in
                guard let ip = pod["status"]["podIP"].string, !oldAddresses.contains(ip) else { return false }
                return (pod["status"]["conditions"].array ?? []).contains { $0["type"].string == "Ready" && $0["status"].string == "True" }
            }
            return ready.count == before.count ? .done(ContinuousClock.now) : .notYet("\(ready.count)/\(before.count) ready on new addresses")
        }

        try await poll("every node listing every peer at its current address", until: .after(healBound + .seconds(30))) {
            do {
                return .done(try await checkHealed(before: before))
            } catch {
                return .notYet("\(error)")
            }
        }
        return ContinuousClock.now - lastReady
    }

    struct NodeView {
        var address: String
        var id: String
        var slots: [SlotRange]
        var topology: ClusterTopology
    }

    /// Each pod's node as it reports itself, with its view of the others.
    private func nodesByPod() async throws -> [String: NodeView] {
        var views: [String: NodeView] = [:]
        for pod in server.objects("pods", namespace: namespace) {
            guard let name = pod["metadata"]["name"].string, let ip = pod["status"]["podIP"].string else { continue }
            let connection = try await RedisConnection.connect(
                to: RedisEndpoint(host: ip, port: 6379),
                options: .init(password: password, connectTimeout: .seconds(2), commandTimeout: .seconds(5)))
            let reply = try await connection.send(RedisCommand("CLUSTER", "NODES"))
            await connection.close()
            let text = reply.string ?? ""
            let topology = try ClusterTopology.parse(text)
            guard let myself = topology.myself else { throw Failure(description: "\(name) lists no myself") }
            views[name] = NodeView(address: ip, id: myself.id, slots: myself.slots, topology: topology)
        }
        return views
    }

    private func checkHealed(before: [String: NodeView]) async throws {
        let now = try await nodesByPod()
        guard now.count == before.count else { throw Failure(description: "\(now.count)/\(before.count) pods answer") }
        let addressById = Dictionary(uniqueKeysWithValues: now.values.map { ($0.id, $0.address) })
        for (pod, view) in now.sorted(by: { $0.key < $1.key }) {
            guard let old = before[pod], old.id == view.id, old.slots == view.slots else {
                throw Failure(description: "\(pod) is \(view.id) with \(SlotRange.describe(view.slots)), was \(before[pod]?.id ?? "?")")
            }
            for peer in view.topology.nodes where !peer.isMyself {
                guard addressById[peer.id] == peer.host else {
                    throw Failure(description: "\(pod) lists \(peer.id) at \(peer.host), it is at \(addressById[peer.id] ?? "?")")
                }
                guard peer.linkState == .connected, !peer.isFailed, !peer.isPossiblyFailed else {
                    throw Failure(description: "\(pod) sees \(peer.id) \(peer.linkState) \(peer.flags)")
                }
            }
        }
        // A redirected read from every node: ask each for a key another master owns, follow MOVED.
        let masters = now.values.filter { !$0.slots.isEmpty }
        for view in now.values.sorted(by: { $0.address < $1.address }) {
            guard let other = masters.first(where: { $0.id != view.id }) else { continue }
            let key = try keyStored(inSlotsOf: other)
            let connection = try await RedisConnection.connect(
                to: RedisEndpoint(host: view.address, port: 6379),
                options: .init(password: password, connectTimeout: .seconds(2), commandTimeout: .seconds(5)))
            let direct = await Self.attempt { try await connection.send(RedisCommand("GET", key)) }
            await connection.close()
            guard case .failure(let error as RedisError) = direct, case .moved(_, let destination) = error.kind else {
                throw Failure(description: "\(view.address) answered GET \(key) of \(other.address) with \(direct), not MOVED")
            }
            let target = try await RedisConnection.connect(
                to: destination, options: .init(password: password, connectTimeout: .seconds(2), commandTimeout: .seconds(5)))
            let value = await Self.attempt { try await target.send(RedisCommand("GET", key)) }
            await target.close()
            guard try value.get().string != nil else {
                throw Failure(description: "\(destination) has no value for \(key) after the restart")
            }
        }
        // Every key written before the restart is still there.
        let reader = ClusterTestClient(seeds: now.values.map { RedisEndpoint(host: $0.address, port: 6379) }, password: password)
        var missing: [String] = []
        for index in 0..<Self.keyCount where try await reader.send(key: "full-restart:\(index)", RedisCommand("GET", "full-restart:\(index)"), deadline: .after(.seconds(10))).string == nil {
            missing.append("full-restart:\(index)")
        }
        await reader.close()
        guard missing.isEmpty else { throw Failure(description: "\(missing.count) keys lost, e.g. \(missing[0])") }
    }

    /// A key `fill` wrote whose slot `master` owns.
    private func keyStored(inSlotsOf master: NodeView) throws -> String {
        for index in 0..<Self.keyCount {
            let key = "full-restart:\(index)"
            let slot = KeySlot.slot(for: key)
            if master.slots.contains(where: { $0.contains(slot) }) { return key }
        }
        throw Failure(description: "no written key falls in \(master.address)'s slots")
    }

    private static func attempt<Value>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }
}
