import Foundation
import Spec
import Testing

@testable import Manifests

/// `manifests/` holds the default spec's rendering; it must never drift from the builders.
@Suite struct RenderedManifestsTests {
    static let regenerate = "REDISCTL_UPDATE_MANIFESTS=1 swift test --filter RenderedManifestsTests"

    @Test func committedManifestsMatchTheBuilders() throws {
        let directory = Fixtures.repositoryRoot.appendingPathComponent("manifests")
        let groups = try ManifestSet.build(from: .defaults)
        if ProcessInfo.processInfo.environment["REDISCTL_UPDATE_MANIFESTS"] == "1" {
            try groups.writeFiles(to: directory)
        }
        var stale: [String] = []
        for group in groups {
            let url = directory.appendingPathComponent(group.fileName)
            let committed = try? String(contentsOf: url, encoding: .utf8)
            if committed != (try group.render()) { stale.append(group.fileName) }
        }
        let expected = Set(groups.map(\.fileName))
        let present = Set(((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") })
        stale += present.subtracting(expected).sorted().map { "\($0) (not rendered any more)" }
        #expect(stale.isEmpty, "manifests/ is out of date: \(stale.joined(separator: ", ")). Regenerate with: \(Self.regenerate)")
    }

    @Test func renderingIsStableAcrossRuns() throws {
        let deployments = [RedisDeployment.defaults, Shapes.sentinel, Shapes.tls]
        for deployment in deployments {
            let first = try ManifestSet.build(from: deployment).render()
            let second = try ManifestSet.build(from: deployment).render()
            #expect(first == second)
            #expect(!first.contains(": null"))
            #expect(!first.contains("- null"))
        }
    }
}
