import RESP
import RedisCtlCore

/// The one wait for a set of nodes to converge: every member is read, `ConvergenceEvaluator`
/// decides, and slot views that lag are refreshed with a MEET from their owner, until the goal
/// holds or the deadline passes (no fixed sleeps).
public struct ClusterConvergence: Sendable {
    public let pool: NodeConnectionPool

    public init(pool: NodeConnectionPool) { self.pool = pool }

    public func wait(for members: [MemberAddress], goal: ConvergenceGoal, what: String, deadline: Deadline) async throws {
        let nudges = NudgeLog()
        try await poll(what, until: deadline, initialInterval: .milliseconds(10), maxInterval: .milliseconds(100)) {
            let views = try await look(at: members, readingServing: goal.requiresServing)
            let verdict = ConvergenceEvaluator.evaluate(views, goal: goal)
            for (owner, viewer) in verdict.staleSlotViews where nudges.shouldNudge(owner.name + ">" + viewer.name) {
                // Only a nudge: a node that does not take it shows up in the next look.
                _ = try? await pool.send(owner.endpoint, RedisCommand("CLUSTER", "MEET", viewer.endpoint.host,
                                                                      String(viewer.endpoint.port)))
            }
            return verdict.hasConverged ? .done(()) : .notYet(verdict.summary)
        }
    }

    /// Every member's answers, read in parallel. A node that does not answer is a problem of this
    /// look; one that refuses the password ends the wait, as no later look can succeed.
    func look(at members: [MemberAddress], readingServing: Bool) async throws -> [MemberView] {
        try await withThrowingTaskGroup(of: MemberView.self) { group in
            for member in members {
                group.addTask { try await view(of: member, readingServing: readingServing) }
            }
            var views: [MemberView] = []
            for try await view in group { views.append(view) }
            return views.sorted { $0.member.name < $1.member.name }
        }
    }

    private func view(of member: MemberAddress, readingServing: Bool) async throws -> MemberView {
        do {
            guard readingServing else {
                return MemberView(member: member, topology: try await pool.topology(of: member.endpoint))
            }
            let replies = try await pool.connection(member.endpoint).pipeline([
                RedisCommand("CLUSTER", "NODES"), RedisCommand("CLUSTER", "INFO"), RedisCommand("INFO", "replication"),
            ])
            return MemberView(member: member, topology: try ClusterTopology.parse(try replies[0].get(), from: member.endpoint),
                              clusterInfo: InfoSections.parse(try replies[1].get().string ?? ""),
                              replication: InfoSections.parse(try replies[2].get().string ?? ""))
        } catch let error as RedisError where error.refusesAuthentication {
            throw GeneralFailure(.cannotRun, "\(member.label): \(error.message)")
        } catch {
            let reason = (error as? any RedisCtlFailure)?.message ?? "\(error)"
            return MemberView(member: member, topology: nil, failure: reason)
        }
    }
}

/// When each (owner, viewer) pair was last nudged, so a slow node is not flooded with MEETs.
final class NudgeLog {
    private var last: [String: ContinuousClock.Instant] = [:]

    func shouldNudge(_ pair: String) -> Bool {
        let now = ContinuousClock.now
        if let previous = last[pair], now - previous < .milliseconds(300) { return false }
        last[pair] = now
        return true
    }
}
