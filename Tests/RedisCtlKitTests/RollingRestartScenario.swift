import Foundation
import RESP
import Testing
@testable import RedisCtlKit

/// The rolling restart both platforms must do alike: a changed spec, deployed while a writer runs,
/// restarts every pod once (highest ordinal first), keeps every acknowledged write and leaves the
/// cluster healthy; a second deploy restarts nothing. Each platform's test adds what only it has
/// (processes restarted, StatefulSet revisions).
struct RollingRestartScenario {
    let environment: LocalTestEnvironment
    let settings: GlobalSettings
    let password: String
    let seeds: @Sendable () async throws -> [RedisEndpoint]

    /// Deploys `spec` under load and checks what every platform shares; returns the deploy's result.
    @discardableResult
    func deploy(spec: String) async throws -> DeployResult {
        try environment.rewriteSpec(spec)
        let writer = ClusterTrafficWriter(prefix: "rolling", password: password, seeds: seeds)
        await writer.start()
        try await Task.sleep(for: .milliseconds(300))
        let deploy = await environment.run(settings) { try await DeployCommand().run($0) }
        let summary = await writer.stop()
        #expect(deploy.status == 0, "deploy with a changed spec: \(deploy.stdout) \(deploy.stderr)")
        let report = try deploy.result(DeployResult.self)
        #expect(report.changed)
        #expect(report.restarted == (0..<6).reversed().map { "\(environment.name)-\($0)" })
        #expect(report.verify?.healthy == true)

        #expect(summary.acknowledged.count > 50, "the writer ran throughout (\(summary.acknowledged.count) writes)")
        #expect(summary.failures.isEmpty, "writes failed during the rolling restart: \(summary.failures.prefix(3))")
        // A node just restarted may answer CLUSTERDOWN until it has heard from its peers; the
        // writer then asks another node. What matters is that no write failed or was lost.
        let lost = await writer.missingOrWrong()
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")

        let again = await environment.run(settings) { try await DeployCommand().run($0) }
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try again.result(DeployResult.self).changed == false, "a second deploy restarts nothing")
        return report
    }
}
