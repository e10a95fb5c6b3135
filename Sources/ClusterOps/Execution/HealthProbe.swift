import RESP
import RedisCtlCore

/// A node for `verify` to look at: its name, address and failure domain.
public struct ProbeTarget: Sendable {
    public var name: String
    public var endpoint: RedisEndpoint
    public var failureDomain: FailureDomain

    public init(name: String, endpoint: RedisEndpoint, failureDomain: FailureDomain) {
        self.name = name
        self.endpoint = endpoint
        self.failureDomain = failureDomain
    }
}

/// Gathers what `verify` evaluates: every node is visited at once, each in one pipelined round trip.
public struct HealthProbe: Sendable {
    public let connector: NodeConnector

    public init(connector: NodeConnector) { self.connector = connector }

    public func observe(_ targets: [ProbeTarget]) async -> [NodeObservation] {
        await withTaskGroup(of: (Int, NodeObservation).self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask { (index, await observe(target)) }
            }
            var observations = [NodeObservation?](repeating: nil, count: targets.count)
            for await (index, observation) in group { observations[index] = observation }
            return observations.compactMap { $0 }
        }
    }

    private func observe(_ target: ProbeTarget) async -> NodeObservation {
        var observation = NodeObservation(
            name: target.name, host: target.endpoint.host, port: target.endpoint.port,
            failureDomain: target.failureDomain, reachability: .reachable)
        async let refused = unauthenticatedAccessRefused(target.endpoint)
        do {
            let connection = try await connector.connect(target.endpoint)
            do {
                let snapshot = try await NodeObserver.snapshot(connection, name: target.name)
                observation.info = snapshot.info
                observation.clusterInfo = snapshot.clusterInfo
                observation.topology = snapshot.topology
            } catch {
                observation.reachability = .unreachable(ClusterInitializer.reason(error))
            }
            await connection.close()
        } catch let error as RedisError {
            switch error.kind {
            case .wrongPass, .noAuth: observation.reachability = .authenticationFailed(error.message)
            default: observation.reachability = .unreachable(error.message)
            }
        } catch {
            observation.reachability = .unreachable(ClusterInitializer.reason(error))
        }
        observation.unauthenticatedAccessRefused = await refused
        return observation
    }

    /// True when a connection without credentials cannot run a command; nil when the node is unreachable.
    private func unauthenticatedAccessRefused(_ endpoint: RedisEndpoint) async -> Bool? {
        do {
            return try await connector.withConnection(endpoint, authenticated: false) { connection -> Bool? in
                do {
                    _ = try await connection.send("DBSIZE")
                    return false
                } catch let error as RedisError {
                    if case .noAuth = error.kind { return true }
                    return nil
                }
            }
        } catch let error as RedisError {
            if case .noAuth = error.kind { return true }
            if case .wrongPass = error.kind { return true }
            return nil
        } catch {
            return nil
        }
    }

    /// `verify --write-test`: writes, reads back and deletes one key in a slot of each master.
    public func writeTest(masters: [(name: String, endpoint: RedisEndpoint, slots: [SlotRange])]) async -> HealthCheck {
        var failures: [String] = []
        for master in masters {
            guard let key = Self.key(inAnyOf: master.slots) else {
                failures.append("\(master.name) owns no slots")
                continue
            }
            let value = "redisctl-write-test-\(PasswordGenerator.generate(length: 12))"
            do {
                let replies = try await connector.withConnection(master.endpoint) { connection in
                    try await connection.pipeline([
                        RedisCommand("SET", key, value, "PX", "60000"), RedisCommand("GET", key), RedisCommand("DEL", key),
                    ])
                }
                let read = try replies[1].get().string
                _ = try replies[0].get()
                _ = try replies[2].get()
                if read != value { failures.append("\(master.name) read back \(read ?? "nil") instead of the written value") }
            } catch {
                failures.append("\(master.name): \(ClusterInitializer.reason(error))")
            }
        }
        if failures.isEmpty {
            return HealthCheck(name: "write-test", status: .pass,
                               message: "wrote, read back and deleted one key on each of \(masters.count) masters")
        }
        return HealthCheck(name: "write-test", status: .fail, message: failures.joined(separator: "; "))
    }

    /// A key whose hash slot falls in one of `ranges` (a hashtag keeps it short).
    static func key(inAnyOf ranges: [SlotRange]) -> String? {
        guard !ranges.isEmpty else { return nil }
        for attempt in 0..<200_000 {
            let key = "redisctl:verify:{\(attempt)}"
            let slot = KeySlot.slot(for: key)
            if ranges.contains(where: { $0.contains(slot) }) { return key }
        }
        return nil
    }
}
