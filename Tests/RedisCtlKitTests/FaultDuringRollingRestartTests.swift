import ClusterOps
import Foundation
import Platforms
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// A master killed (SIGKILL) while `deploy` rolls a changed spec out: deploy either follows the
/// failover or stops within its --timeout naming the node; once the cluster has failed it over, a
/// second deploy completes the rollout. Writers (WAIT 1) run throughout and lose nothing.
@Suite(.serialized) struct FaultDuringRollingRestartTests {
    @Test func masterKilledDuringTheRollingRestart() async throws {
        try await LocalTestEnvironment.withCluster(spec: "redis: {clusterNodeTimeoutMs: 2000}") { environment in
            let deploy = await environment.run { try await DeployCommand().run($0) }
            try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
            let (seeds, password) = try await ScaleLocalTests.access(environment)
            let writers = AcknowledgedWriters(count: 2, seeds: seeds, password: password, prefix: "rolling-fault:")
            writers.start(replicas: 1)
            try await ScaleLocalTests.waitForWrites(writers, atLeast: 50)
            let pidsBefore = Dictionary(uniqueKeysWithValues: (0..<6).compactMap { ordinal in environment.pid(ofPod: ordinal).map { (ordinal, $0) } })

            try environment.rewriteSpec("redis: {clusterNodeTimeoutMs: 2000, maxmemory: 3gb}")
            let timeout = Duration.seconds(30)
            let started = ContinuousClock.now
            let rollout = Task { await environment.run(environment.settings(timeout: timeout)) { try await DeployCommand().run($0) } }
            // The rollout starts with the highest ordinal (a replica): once it has restarted, a
            // master that has not been rolled yet is killed.
            let victim = try await poll("the rollout to restart its first pod", until: .after(.seconds(60)), initialInterval: .milliseconds(10),
                                        maxInterval: .milliseconds(50)) { () async throws -> PollOutcome<PodEndpoint> in
                guard environment.pid(ofPod: 5) != pidsBefore[5] else { return .notYet("pod 5 not restarted yet") }
                // Pods restarting refuse connections for a moment.
                guard let live = try? await LiveCluster(environment: environment, password: password).nodes() else {
                    return .notYet("a node does not answer")
                }
                guard let master = live.first(where: { !$0.isReplica && !$0.slots.isEmpty && $0.name.hasSuffix("-0") }) else {
                    return .notYet("pod 0 is not a master")
                }
                return .done(PodEndpoint(name: master.name, ordinal: 0, endpoint: master.endpoint, ready: true))
            }
            let pid = try #require(environment.pid(ofPod: 0))
            kill(pid, SIGKILL)
            let first = await rollout.value
            let elapsed = ContinuousClock.now - started
            print("fault during rolling restart: \(victim.name) killed; deploy exit \(first.status) after \(elapsed): "
                  + "\(first.stderr.split(separator: "\n").last { $0.hasPrefix("error:") } ?? "completed")")
            #expect(elapsed < timeout + .seconds(15), "deploy ran \(elapsed) with --timeout \(timeout)")
            if first.status != 0, let message = first.stderr.split(separator: "\n").last(where: { $0.hasPrefix("error:") }) {
                #expect(message.contains(victim.name) || message.contains(victim.endpoint.host), "the error names \(victim.name): \(message)")
            }

            try await poll("the cluster to fail \(victim.name) over", until: .after(.seconds(60))) { () async throws -> PollOutcome<Void> in
                guard let live = try? await LiveCluster(environment: environment, password: password).nodes(reachableOnly: true) else {
                    return .notYet("no node answers")
                }
                let serving = live.filter { !$0.isReplica && !$0.slots.isEmpty }
                return serving.count == 3 && !serving.contains { $0.name == victim.name } ? .done(()) : .notYet("not failed over yet")
            }
            let again = await environment.run(environment.settings(timeout: .seconds(180))) { try await DeployCommand().run($0) }
            #expect(again.status == 0, "deploy again: \(again.stdout.suffix(800)) \(again.stderr.suffix(800))")
            #expect(try again.result(DeployResult.self).verify?.healthy == true)
            let settled = await environment.run { try await DeployCommand().run($0) }
            #expect(try settled.result(DeployResult.self).restarted.isEmpty, "every pod runs the new spec")

            await writers.stop()
            let reader = ClusterTestClient(seeds: seeds, password: password)
            let lost = try await writers.check(using: reader)
            await reader.close()
            #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")
            #expect(writers.acknowledgedWrites > 100)
        }
    }
}
