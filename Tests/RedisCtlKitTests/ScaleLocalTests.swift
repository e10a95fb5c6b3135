import Foundation
import Platforms
import RESP
import RedisCtlCore
import Testing
import TestSupport
@testable import RedisCtlKit

/// `scale` on the local platform while clients keep writing: 3 -> 5 -> 3 masters, nothing lost.
@Suite(.serialized) struct ScaleLocalTests {
    static let spec = "redis: {clusterNodeTimeoutMs: 5000}"

    @Test func growAndShrinkWhileWritingLosesNothing() async throws {
        try await LocalTestEnvironment.withCluster(spec: Self.spec, growAndShrink)
    }

    func growAndShrink(_ environment: LocalTestEnvironment) async throws {
        let deploy = await environment.run { try await DeployCommand().run($0) }
        try #require(deploy.status == 0, "deploy: \(deploy.stderr)")
        let (seeds, password) = try await Self.access(environment)
        let filler = ClusterTestClient(seeds: seeds, password: password)
        try await filler.fill(count: 20_000, prefix: "preload:", valueSize: 64)
        await filler.close()

        // The plan alone changes nothing.
        let plan = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(masters: 5, dryRun: true).run($0) }
        #expect(plan.status == 0, "dry run: \(plan.stderr)")
        let planned = try plan.result(ScaleResult.self)
        #expect(planned.addPods == (6...9).map { "\(environment.name)-\($0)" })
        #expect(planned.plannedSlots == 16384 - 3 * 3277)
        #expect(planned.movedSlots == nil, "a dry run moves nothing")
        #expect(try await environment.localPlatform.pods().count == 6)

        let writers = AcknowledgedWriters(count: 4, seeds: seeds, password: password)
        writers.start()
        do {
            try await Self.waitForWrites(writers, atLeast: 200)
            let grow = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(masters: 5).run($0) }
            #expect(grow.status == 0, "scale to 5: \(grow.stdout) \(grow.stderr)")
            let grown = try grow.result(ScaleResult.self)
            #expect(grown.healthy == true)
            #expect(grown.movedSlots == 16384 - 3 * 3277)
            #expect((grown.movedKeys ?? 0) > 5_000)
            #expect(grow.stderr.contains("keys/s"))
            try await Self.expectShape(environment, masters: 5, pods: 10)

            // The spec still says 3 masters: verify and deploy keep the scaled size.
            let verify = await environment.run { try await VerifyCommand().run($0) }
            #expect(verify.status == 0, "verify after growing: \(verify.stdout) \(verify.stderr)")
            #expect(verify.stderr.contains("keeping the running size"))
            let redeploy = await environment.run { try await DeployCommand().run($0) }
            #expect(redeploy.status == 0, "deploy after growing: \(redeploy.stdout) \(redeploy.stderr)")
            #expect(try redeploy.result(DeployResult.self).changed == false)
            try await Self.expectShape(environment, masters: 5, pods: 10)

            try await Self.waitForWrites(writers, atLeast: writers.acknowledgedWrites + 200)
            let shrink = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(masters: 3).run($0) }
            #expect(shrink.status == 0, "scale to 3: \(shrink.stdout) \(shrink.stderr)")
            #expect(try shrink.result(ScaleResult.self).healthy == true)
            try await Self.expectShape(environment, masters: 3, pods: 6)
            try await Self.waitForWrites(writers, atLeast: writers.acknowledgedWrites + 200)
        } catch {
            await writers.stop()
            throw error
        }
        await writers.stop()
        #expect(writers.failures.isEmpty, "\(writers.failures.prefix(5))")

        let reader = ClusterTestClient(seeds: try await Self.access(environment).seeds, password: password)
        let problems = try await writers.check(using: reader)
        #expect(problems.isEmpty, "\(problems.count) lost or wrong writes, e.g. \(problems.prefix(5))")
        for index in stride(from: 0, to: 20_000, by: 1) {
            let key = "preload:\(index)"
            let value = try await reader.send(key: key, RedisCommand("GET", key)).string
            if value?.count != 64 {
                Issue.record("\(key) lost after scaling")
                break
            }
        }
        var redirects = 0
        for client in writers.clients { redirects += await client.movedCount }
        #expect(redirects > 0, "the writers never followed a MOVED: they did not write across the moves")
        await reader.close()

        // Replicas alone: no slot moves.
        let replicas = await environment.run(environment.settings(timeout: .seconds(300))) { try await ScaleCommand(replicasPerMaster: 2).run($0) }
        #expect(replicas.status == 0, "replicas to 2: \(replicas.stdout) \(replicas.stderr)")
        #expect(try replicas.result(ScaleResult.self).movedSlots == 0)
        try await Self.expectShape(environment, masters: 3, pods: 9)
        let verify = await environment.run { try await VerifyCommand().run($0) }
        #expect(verify.status == 0, "verify after adding replicas: \(verify.stdout)")
    }

    /// Every pod's address and the cluster password.
    static func access(_ environment: LocalTestEnvironment) async throws -> (seeds: [RedisEndpoint], password: String) {
        let platform = environment.localPlatform
        return (try await platform.pods().map(\.endpoint), try await platform.password())
    }

    static func waitForWrites(_ writers: AcknowledgedWriters, atLeast count: Int) async throws {
        try await poll("writers to acknowledge \(count) writes", until: .after(.seconds(30))) {
            writers.acknowledgedWrites >= count ? .done(()) : .notYet("\(writers.acknowledgedWrites) so far")
        }
    }

    /// The local platform's pods and the masters serving slots, as the cluster itself reports them.
    static func expectShape(_ environment: LocalTestEnvironment, masters: Int, pods: Int) async throws {
        let (seeds, password) = try await access(environment)
        #expect(seeds.count == pods)
        let connection = try await RedisConnection.connect(to: seeds[0], options: .init(password: password))
        let nodes = try await connection.send(RedisCommand("CLUSTER", "NODES")).string ?? ""
        await connection.close()
        let lines = nodes.split(separator: "\n")
        #expect(lines.count == pods, "\(nodes)")
        #expect(lines.filter { $0.contains("master") && $0.split(separator: " ").count > 8 }.count == masters, "\(nodes)")
    }
}
