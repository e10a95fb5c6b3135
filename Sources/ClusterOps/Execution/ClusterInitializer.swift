import Foundation
import RESP
import RedisCtlCore

/// What `init-cluster` did (or, with `--dry-run`, would do).
public struct InitClusterOutcome: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        /// The nodes were empty and now form the cluster.
        case formed
        /// A half-done cluster was completed.
        case resumed
        /// Nothing was left to do.
        case alreadyInitialized = "already-initialized"
        /// `--dry-run`: nothing was changed.
        case planned
    }

    public var status: Status
    public var layout: LayoutPlan
    public var steps: [String]
    public var elapsedSeconds: Double
}

/// Carries out cluster formation: observe every node, plan what is missing, run the steps, and wait
/// (`ClusterConvergence`) until the nodes agree and every replica's link is up.
public struct ClusterInitializer: Sendable {
    public let connector: NodeConnector
    public let progress: any ProgressReporter
    /// cluster-node-timeout while a brand-new cluster forms (nil: leave the nodes' own); the other
    /// `FormationSettings` apply to every init.
    public let formationNodeTimeoutMs: Int?
    /// The deployment's cluster-node-timeout, restored after formation when a node's own value is
    /// unknown (nil for nodes redisctl did not configure).
    public let configuredNodeTimeoutMs: Int?
    /// Each node's own values while formation has them changed, kept for a run that is killed.
    public let formationRecord: any FormationRecord

    public init(connector: NodeConnector, progress: any ProgressReporter, formationNodeTimeoutMs: Int? = 1000,
                configuredNodeTimeoutMs: Int? = nil, formationRecord: any FormationRecord = NoFormationRecord()) {
        self.connector = connector
        self.progress = progress
        self.formationNodeTimeoutMs = formationNodeTimeoutMs
        self.configuredNodeTimeoutMs = configuredNodeTimeoutMs
        self.formationRecord = formationRecord
    }

    public func run(candidates: [LayoutCandidate], masters: Int, replicasPerMaster: Int, dryRun: Bool,
                    deadline: Deadline) async throws -> InitClusterOutcome {
        let started = ContinuousClock.now
        let layout = try ClusterLayout.plan(candidates: candidates, masters: masters, replicasPerMaster: replicasPerMaster)
        // One line per replica is noise on a single machine (the local platform): show a few.
        for warning in layout.warnings.prefix(2) { progress.warning(warning) }
        if layout.warnings.count > 2 { progress.warning("... and \(layout.warnings.count - 2) more replicas like these") }

        return try await withNodeConnectionPool(connector) { pool in
            let members = layout.members
            let endpoints = Dictionary(uniqueKeysWithValues: members.map { ($0.name, $0.endpoint) })

            // A restarted node briefly claims the slots it owned before a failover, until the cluster bus
            // tells it otherwise: a conflict is re-read for a few seconds before it counts as real.
            let settleDeadline = deadline.capped(at: .seconds(10))
            var observed: [String: ObservedNodeState]
            var steps: [InitStep]
            while true {
                observed = try await observe(members, pool: pool)
                do {
                    steps = try InitClusterPlanner.nextSteps(layout: layout, observed: observed)
                    break
                } catch let error as ClusterOpsError where error.code == .slotConflict && !settleDeadline.hasPassed {
                    progress.detail("waiting for slot ownership to settle: \(error.message)")
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let wasFresh = observed.values.allSatisfy { $0.isFresh && $0.ownedSlots.isEmpty }
            func outcome(_ status: InitClusterOutcome.Status) -> InitClusterOutcome {
                InitClusterOutcome(status: status, layout: layout, steps: steps.map(\.description),
                                   elapsedSeconds: seconds(ContinuousClock.now - started))
            }
            if dryRun { return outcome(.planned) }

            if !steps.isEmpty {
                progress.step(wasFresh ? "forming a cluster of \(layout.masters.count) masters and \(layout.replicas.count) replicas"
                                       : "resuming cluster formation: \(steps.count) step(s) left")
            }
            // A new cluster has no data and no clients yet: it forms with settings that make it fast,
            // and every node gets its own values back before we return, also on failure or timeout.
            // A formed cluster gets nothing set; what a killed run left on it is still put back.
            let tuner = FormationTuner(pool: pool, progress: progress, record: formationRecord)
            let settings = steps.isEmpty
                ? FormationSettings.leftoversOnly(formationNodeTimeoutMs: formationNodeTimeoutMs)
                : FormationSettings.forInit(replicasPerMaster: replicasPerMaster, formationNodeTimeoutMs: formationNodeTimeoutMs,
                                            shortenNodeTimeout: wasFresh)
            let restorations = try await tuner.apply(settings, to: members, configuredNodeTimeoutMs: configuredNodeTimeoutMs)
            do {
                try await form(steps: steps, layout: layout, endpoints: endpoints, pool: pool,
                               deadline: deadline)
            } catch {
                await tuner.restore(restorations, connector: connector)
                throw error
            }
            await tuner.restore(restorations, connector: connector)
            if steps.isEmpty { return outcome(.alreadyInitialized) }
            return outcome(wasFresh ? .formed : .resumed)
        }
    }

    private func form(steps: [InitStep], layout: LayoutPlan,
                      endpoints: [String: RedisEndpoint], pool: NodeConnectionPool, deadline: Deadline) async throws {
        let members = layout.members
        try await runPhase(steps.filter(\.isSlotAssignment), endpoints: endpoints, pool: pool)
        try await runPhase(steps.filter(\.isConfigEpoch), endpoints: endpoints, pool: pool)
        try await runPhase(steps.filter(\.isMeet), endpoints: endpoints, pool: pool)
        let convergence = ClusterConvergence(pool: pool)
        if !steps.isEmpty {
            progress.step("waiting for \(members.count) nodes to agree on the cluster configuration")
        }
        try await convergence.wait(for: members.map(\.member), goal: .agreement,
                                   what: "all nodes to agree on the cluster configuration", deadline: deadline)
        try await runPhase(steps.filter(\.isReplicate), endpoints: endpoints, pool: pool)
        if steps.contains(where: \.isReplicate) {
            progress.step("waiting for \(layout.replicas.count) replicas to sync with their masters")
        }
        try await convergence.wait(
            for: members.map(\.member),
            goal: ConvergenceGoal(allowsOtherNodes: true, requiresServing: true, replicaCount: layout.replicas.count),
            what: "every node to report cluster_state:ok with every replica link up", deadline: deadline)
    }

    // MARK: Observation

    private func observe(_ members: [LayoutCandidate], pool: NodeConnectionPool) async throws -> [String: ObservedNodeState] {
        let results = await withTaskGroup(of: (LayoutCandidate, Result<ObservedNodeState, any Error>).self) { group in
            for member in members {
                group.addTask {
                    do {
                        let connection = try await pool.connection(member.endpoint)
                        let snapshot = try await NodeObserver.snapshot(connection, name: member.name)
                        guard let state = NodeObserver.observedState(snapshot) else {
                            throw ClusterOpsError(.malformedClusterNodes,
                                "\(member.label): CLUSTER NODES has no 'myself' line")
                        }
                        return (member, .success(state))
                    } catch {
                        return (member, .failure(error))
                    }
                }
            }
            var collected: [(LayoutCandidate, Result<ObservedNodeState, any Error>)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        var observed: [String: ObservedNodeState] = [:]
        var failures: [(LayoutCandidate, any Error)] = []
        for (member, result) in results {
            switch result {
            case .success(let state): observed[member.name] = state
            case .failure(let error): failures.append((member, error))
            }
        }
        if let (member, error) = failures.sorted(by: { $0.0.name < $1.0.name }).first {
            throw Self.nodeFailure(member, error, others: failures.count - 1)
        }
        return observed
    }

    static func nodeFailure(_ member: LayoutCandidate, _ error: any Error, others: Int) -> any RedisCtlFailure {
        let more = others > 0 ? " (and \(others) more node(s))" : ""
        if let redisError = error as? RedisError {
            return GeneralFailure(redisError.category, "\(member.name): \(redisError.message)\(more)")
        }
        if let failure = error as? any RedisCtlFailure {
            return GeneralFailure(failure.category, failure.message + more)
        }
        return GeneralFailure(.operationFailed, "\(member.label): \(error)\(more)")
    }

    // MARK: Steps

    private func runPhase(_ steps: [InitStep], endpoints: [String: RedisEndpoint], pool: NodeConnectionPool) async throws {
        guard !steps.isEmpty else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for step in steps {
                progress.detail(step.description)
                group.addTask {
                    let (node, command) = try Self.command(for: step, endpoints: endpoints)
                    guard let endpoint = endpoints[node] else { return }
                    do {
                        _ = try await pool.send(endpoint, command)
                    } catch {
                        throw GeneralFailure(.operationFailed, "\(node) (\(endpoint)): \(step) failed: \(Self.reason(error))")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func command(for step: InitStep, endpoints: [String: RedisEndpoint]) throws -> (String, RedisCommand) {
        switch step {
        case .assignSlots(let node, let ranges):
            return (node, RedisCommand("CLUSTER", ["ADDSLOTSRANGE"] + ranges.flatMap { [String($0.start), String($0.end)] }))
        case .setConfigEpoch(let node, let epoch):
            return (node, RedisCommand("CLUSTER", "SET-CONFIG-EPOCH", String(epoch)))
        case .meet(let node, let other):
            guard let target = endpoints[other] else {
                throw GeneralFailure(.operationFailed, "\(node): cannot meet unknown node \(other)")
            }
            return (node, RedisCommand("CLUSTER", "MEET", target.host, String(target.port)))
        case .replicate(let replica, let masterId):
            return (replica, RedisCommand("CLUSTER", "REPLICATE", masterId))
        }
    }

    static func reason(_ error: any Error) -> String {
        if let failure = error as? any RedisCtlFailure { return failure.message }
        return "\(error)"
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension LayoutCandidate {
    var endpoint: RedisEndpoint { RedisEndpoint(host: host, port: port) }
    var member: MemberAddress { MemberAddress(name: name, endpoint: endpoint) }
}

extension InitStep {
    var isSlotAssignment: Bool { if case .assignSlots = self { true } else { false } }
    var isConfigEpoch: Bool { if case .setConfigEpoch = self { true } else { false } }
    var isMeet: Bool { if case .meet = self { true } else { false } }
    var isReplicate: Bool { if case .replicate = self { true } else { false } }
}
