import ClusterOps
import Foundation
import Platforms
import RESP
import RedisCtlCore
import Spec

/// Carries out a scale in phases, re-reading the cluster before each one: close slots a killed run
/// left open, promote replicas of leaving masters, add pods, introduce them, attach replicas, move
/// slots, demote extra masters, remove leaving nodes from the cluster, remove their pods, wait, verify.
struct ScaleExecution {
    let command: ScaleCommand
    let target: DeploymentTarget
    let context: CommandContext

    var progress: any ProgressReporter { context.progress }

    func run() async throws -> ScaleResult {
        let started = ContinuousClock.now
        let deadline = context.deadline()
        let connector = try await target.connector(deadline: deadline)
        return try await withNodeConnectionPool(connector) { pool in
            try await run(pool: pool, connector: connector, started: started, deadline: deadline)
        }
    }

    private func run(pool: NodeConnectionPool, connector: NodeConnector, started: ContinuousClock.Instant,
                     deadline: Deadline) async throws -> ScaleResult {
        let membership = ClusterMembership(pool: pool, progress: progress)
        let migrator = SlotMigrator(connector: connector, options: command.migration, progress: progress)

        var observation = try await observe(membership)
        let before = observation.shape
        guard before.masters > 0 else {
            throw GeneralFailure(.cannotRun, "cluster \(target.clusterName) has no master serving slots; deploy or init-cluster it first")
        }
        let masters = command.masters ?? before.masters
        let replicas = command.replicasPerMaster ?? before.replicasPerMaster
        let openSlots = OpenSlotRecovery.actions(masters: observation.masterViews)
        var plan = try self.plan(observation, masters: masters, replicas: replicas)
        var result = ScaleResult(cluster: target.clusterName, platform: target.platform.kind,
                                 from: .init(masters: before.masters, replicasPerMaster: before.replicasPerMaster,
                                             pods: observation.pods.count),
                                 to: .init(masters: masters, replicasPerMaster: replicas, pods: plan.podCountAfter),
                                 plan: plan, openSlots: openSlots.map(\.description), dryRun: command.dryRun)
        for warning in plan.warnings.prefix(2) { progress.warning(warning) }
        if command.dryRun { return result }
        if command.deleteData && !plan.leaving.isEmpty {
            try context.confirm("delete the data of \(plan.leaving.joined(separator: ", ")) after they leave?")
        }

        // 1. Slots a killed run left half-moved are finished (or rolled back) from the cluster's own state.
        if !openSlots.isEmpty {
            try await migrator.close(openSlots, endpoints: observation.masterEndpoints,
                                     masters: observation.masterViews.map(\.id), deadline: deadline)
            observation = try await observe(membership)
            plan = try self.plan(observation, masters: masters, replicas: replicas)
        }
        if plan.changesNothing {
            progress.step("cluster \(target.clusterName) already has \(masters) masters with \(replicas) replica(s) each")
        }
        progress.step("scaling \(target.clusterName): \(before.masters) -> \(masters) masters, "
                      + "\(before.replicasPerMaster) -> \(replicas) replica(s) per master")

        // 2. A replica of a leaving master takes its master's place; nothing has to move for those slots.
        for name in plan.failovers {
            guard let pod = observation.pod(named: name) else { continue }
            try await membership.failover(pod.address, deadline: deadline)
        }
        if !plan.failovers.isEmpty {
            observation = try await observe(membership)
            plan = try self.plan(observation, masters: masters, replicas: replicas)
        }

        // 3. New pods, introduced and settled.
        let resized = resizedDeployment(masters: masters, replicas: replicas)
        if plan.podCountAfter > observation.pods.count {
            progress.step("adding \(plan.podCountAfter - observation.pods.count) pod(s)")
            _ = try await target.platform.resize(resized, removalGuard: target.removalGuard(progress: progress),
                                                 deleteData: false, deadline: deadline, progress: progress)
            observation = try await observe(membership)
            plan = try self.plan(observation, masters: masters, replicas: replicas)
        }
        try await introduce(plan, observation: observation, membership: membership, deadline: deadline)
        observation = try await observe(membership)
        plan = try self.plan(observation, masters: masters, replicas: replicas)

        // 4. Replicas attach before slots move, so no master serves slots without its replicas for long.
        try await attach(plan.replicas, observation: observation, membership: membership)
        if !plan.replicas.isEmpty {
            try await membership.waitUntilSettled(members(observation), deadline: deadline,
                                                  what: "new replicas to sync with their masters")
        }

        // 5. Slots move to their even shares (and off leaving or demoted masters).
        let ids = observation.idByName
        let transfers = try plan.rebalance.transfers.map { transfer in
            guard let source = ids[transfer.source], let destination = ids[transfer.target] else {
                throw GeneralFailure(.operationFailed, "no node id for \(transfer.source) or \(transfer.target); run scale again")
            }
            return SlotTransfer(source: source, target: destination, slots: transfer.slots)
        }
        let endpoints = Dictionary(observation.pods.compactMap { pod in pod.myself.map { ($0.id, pod.pod.endpoint) } },
                                   uniquingKeysWith: { first, _ in first })
        let allMasters = observation.pods.compactMap(\.myself).filter(\.isMaster).map(\.id)
        let moved: MigrationProgress
        do {
            moved = try await migrator.run(transfers, endpoints: endpoints, masters: allMasters, deadline: deadline)
        } catch let error as RedisError where error.isConnectionLoss {
            // A node died or stopped answering mid-move: its replica takes over after the node timeout.
            throw GeneralFailure(.operationFailed, "\(error.message) while slots moved; once the cluster has failed the node "
                                 + "over (verify shows a master for every slot), run deploy to start it again, then scale again")
        }
        result.recordMigration(slots: moved.slotsMoved, keys: moved.keysMoved, seconds: moved.elapsedSeconds)

        // 6. Extra masters that stay become replicas once empty.
        if !plan.demoted.isEmpty {
            observation = try await observe(membership)
            try await attach(plan.demoted, observation: observation, membership: membership)
        }

        // 7. Leaving nodes: forgotten by everyone, reset, then their pods go.
        observation = try await observe(membership)
        plan = try self.plan(observation, masters: masters, replicas: replicas)
        let leaving = plan.leaving.compactMap { name -> (member: MemberAddress, id: String)? in
            guard let pod = observation.pod(named: name), let id = pod.myself?.id, observation.clusterIds.contains(id) else { return nil }
            return (pod.address, id)
        }
        if !leaving.isEmpty {
            let staying = observation.pods.filter { !plan.leaving.contains($0.pod.name) }
            // The departing nodes must be settled too: a replica still syncing from a leaving master
            // would otherwise be left pointing at nothing.
            try await membership.remove(leaving, staying: staying.map(\.address))
        }
        if plan.podCountAfter < observation.pods.count {
            progress.step("removing \(observation.pods.count - plan.podCountAfter) pod(s)")
            _ = try await target.platform.resize(resized, removalGuard: target.removalGuard(progress: progress),
                                                 deleteData: command.deleteData, deadline: deadline, progress: progress)
        }

        // 8. Settled and verified.
        observation = try await observe(membership)
        try await membership.waitUntilSettled(members(observation), deadline: deadline,
                                              what: "every node to agree on the scaled cluster")
        var verifyTarget = target
        verifyTarget.deployment = resized
        let report = try await VerifyCommand().report(target: verifyTarget, nodes: observation.pods.map(\.pod))
        // The shards changed: their disruption budgets follow.
        _ = try await ShardDisruptionBudgets.keep(target: verifyTarget, report: report, progress: progress)
        result.finish(verify: report, elapsedSeconds: MigrationProgress.seconds(ContinuousClock.now - started))
        return result
    }

    private func observe(_ membership: ClusterMembership) async throws -> ScaleObservation {
        try await ScaleObservation.read(try await target.platform.pods(), membership: membership)
    }

    private func plan(_ observation: ScaleObservation, masters: Int, replicas: Int) throws -> ScalePlan {
        let prefix = observation.pods.first.map { pod in
            pod.pod.name.hasSuffix("-\(pod.pod.ordinal)") ? String(pod.pod.name.dropLast("-\(pod.pod.ordinal)".count)) : pod.pod.name
        } ?? target.clusterName
        return try ScalePlanner.plan(members: observation.members, masters: masters, replicasPerMaster: replicas,
                                     podName: { "\(prefix)-\($0)" })
    }

    private func members(_ observation: ScaleObservation) -> [MemberAddress] {
        let known = observation.clusterIds
        return observation.pods.filter { pod in pod.myself.map { known.contains($0.id) } ?? false }.map(\.address)
    }

    private func resizedDeployment(masters: Int, replicas: Int) -> RedisDeployment {
        var deployment = target.deployment
        deployment.spec.masters = masters
        deployment.spec.replicasPerMaster = replicas
        return deployment
    }

    /// Fresh pods (empty, knowing no one) are met by a master that serves slots.
    private func introduce(_ plan: ScalePlan, observation: ScaleObservation, membership: ClusterMembership,
                           deadline: Deadline) async throws {
        let newcomers = plan.meet.compactMap { observation.pod(named: $0) }
        guard !newcomers.isEmpty else { return }
        guard let anchor = observation.anchor else {
            throw GeneralFailure(.operationFailed, "no master serving slots answers; check the cluster with verify")
        }
        for pod in newcomers {
            let keys = try await membership.keyCount(pod.address)
            if keys > 0 {
                throw GeneralFailure(.operationFailed,
                    "\(pod.pod.name) (\(pod.pod.endpoint)) holds \(keys) keys but is not part of the cluster; empty it (FLUSHALL) or delete its data, then run scale again")
            }
        }
        progress.step("introducing \(newcomers.map(\.pod.name).joined(separator: ", ")) to the cluster")
        let addresses = newcomers.map(\.address)
        let configured = target.deployment.spec.redis.clusterNodeTimeoutMs
        await membership.setNodeTimeout(addresses, milliseconds: min(1000, configured))
        do {
            try await membership.meet(addresses, anchor: anchor.address)
            try await membership.waitUntilSettled(members(observation) + addresses, deadline: deadline,
                                                  what: "new nodes to join the cluster")
        } catch {
            await membership.setNodeTimeout(addresses, milliseconds: configured)
            throw error
        }
        await membership.setNodeTimeout(addresses, milliseconds: configured)
    }

    private func attach(_ assignments: [ReplicaAssignment], observation: ScaleObservation,
                        membership: ClusterMembership) async throws {
        let ids = observation.idByName
        for assignment in assignments {
            guard let replica = observation.pod(named: assignment.replica), let masterId = ids[assignment.master] else {
                throw GeneralFailure(.operationFailed, "cannot attach \(assignment.replica) to \(assignment.master): pod not found; run scale again")
            }
            try await membership.replicate(replica.address, masterId: masterId, masterName: assignment.master)
        }
    }
}
