import ClusterOps
import Platforms
import Foundation
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// A master killed (SIGKILL) while `scale` moves slots off it: scale either follows the failover or
/// stops within its --timeout naming the node; `deploy` brings the node back and a second `scale`
/// completes. Writers run throughout; a write counts once a replica has it (`WAIT 1`): none of
/// those, and none of the keys written before, may be lost, including keys already moved out of
/// a slot whose source died.
@Suite(.serialized) struct FaultDuringScaleTests {
    static let keys = 30_000

    @Test func sourceMasterKilledWhileSlotsMigrate() async throws {
        try await LocalTestEnvironment.withCluster(spec: "redis: {clusterNodeTimeoutMs: 2000}") { environment in
            let deploy = await environment.run { try await DeployCommand().run($0) }
            try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
            let (seeds, password) = try await ScaleLocalTests.access(environment)
            let client = ClusterTestClient(seeds: seeds, password: password)
            try await client.fill(count: Self.keys, prefix: "fault:", valueSize: 100)
            let writers = AcknowledgedWriters(count: 2, seeds: seeds, password: password, prefix: "fault-writer:")
            writers.start(replicas: 1)
            try await ScaleLocalTests.waitForWrites(writers, atLeast: 50)

            let timeout = Duration.seconds(45)
            let started = ContinuousClock.now
            let scale = Task { await environment.run(environment.settings(timeout: timeout)) { try await ScaleCommand(masters: 4).run($0) } }
            let victim = try await killASourceMidMigration(environment, password: password)
            let first = await scale.value
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < timeout + .seconds(15), "scale ran \(elapsed) with --timeout \(timeout)")
            print("fault during scale: \(victim.name) killed; scale exit \(first.status) after \(elapsed): "
                  + "\(first.stderr.split(separator: "\n").last { $0.hasPrefix("error:") } ?? "completed")")
            if first.status != 0 {
                let message = first.stderr.split(separator: "\n").last { $0.hasPrefix("error:") } ?? ""
                #expect(message.contains(victim.name) || message.contains(victim.endpoint.host),
                        "the error names the killed node \(victim.name): \(first.stderr.suffix(800))")
                #expect(message.contains("run deploy") && message.contains("scale again"), "and says what to do: \(message)")
            }

            // The runbook: once the cluster has failed the node over, deploy starts it again (it
            // rejoins as a replica of its promoted replica), then scale again. Started sooner, it
            // would come back as the master from its own AOF, up to a second behind (everysec).
            try await poll("the cluster to fail \(victim.name) over", until: .after(.seconds(60))) { () async throws -> PollOutcome<Void> in
                for pod in try await environment.localPlatform.pods() where pod.name != victim.name {
                    guard let connection = try? await RedisConnection.connect(to: pod.endpoint, options: .init(password: password)) else { continue }
                    let text = try? await connection.send(RedisCommand("CLUSTER", "NODES")).string
                    await connection.close()
                    guard let topology = text.flatMap({ try? ClusterTopology.parse($0) }) else { continue }
                    // Its slots have gone to the replica: nothing of the cluster waits for it any more.
                    let old = topology.nodes.first { $0.host == victim.endpoint.host && $0.port == victim.endpoint.port }
                    return old.map { $0.isFailed && $0.slots.isEmpty } == true ? .done(()) : .notYet("\(victim.name) still holds its slots")
                }
                return .notYet("no node answers")
            }
            let redeploy = await environment.run(environment.settings(timeout: .seconds(120))) { try await DeployCommand().run($0) }
            #expect(redeploy.status == 0 || redeploy.status == 1, "deploy after the kill: \(redeploy.stderr.suffix(800))")
            let again = await environment.run(environment.settings(timeout: .seconds(180))) { try await ScaleCommand(masters: 4).run($0) }
            #expect(again.status == 0, "scale again: \(again.stdout.suffix(800)) \(again.stderr.suffix(1500)) -- deploy said: \(redeploy.stderr.suffix(600))")
            #expect(try again.result(ScaleResult.self).healthy == true)

            await writers.stop()
            let reader = ClusterTestClient(seeds: try await environment.localPlatform.pods().map(\.endpoint), password: password)
            let lost = try await writers.check(using: reader)
            #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")
            #expect(writers.acknowledgedWrites > 100, "the writers kept writing: \(writers.acknowledgedWrites)")
            var missing = 0
            for index in 0..<Self.keys where try await reader.send(key: "fault:\(index)", RedisCommand("GET", "fault:\(index)")).string == nil {
                missing += 1
            }
            #expect(missing == 0, "\(missing) of \(Self.keys) keys written before the scale are gone")
            await reader.close()
            await client.close()
            let verify = await environment.run { try await VerifyCommand().run($0) }
            #expect(verify.status == 0, "verify: \(verify.stdout)")
        }
    }

    /// Waits until a master has a slot MIGRATING, then SIGKILLs that master's process.
    func killASourceMidMigration(_ environment: LocalTestEnvironment, password: String) async throws -> PodEndpoint {
        let platform = environment.localPlatform
        let pods = try await platform.pods()
        let source = try await poll("scale to start moving slots", until: .after(.seconds(60)), initialInterval: .milliseconds(5),
                                    maxInterval: .milliseconds(5)) { () async throws -> PollOutcome<PodEndpoint> in
            for pod in pods {
                guard let connection = try? await RedisConnection.connect(to: pod.endpoint, options: .init(password: password)) else { continue }
                let nodes = try? await connection.send(RedisCommand("CLUSTER", "NODES")).string
                await connection.close()
                let myself = nodes.flatMap { try? ClusterTopology.parse($0).myself }
                if let myself, myself.isMaster, !myself.migrating.isEmpty { return .done(pod) }
            }
            return .notYet("no slot migrating yet")
        }
        let ordinal = try #require(Int(source.name.split(separator: "-").last ?? ""))
        let pid = try #require(environment.pid(ofPod: ordinal))
        kill(pid, SIGKILL)
        return source
    }
}
