import Foundation
import Testing
@testable import Platforms
@testable import Spec

@Suite struct LocalPlatformTests {
    func temporaryRoot() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-platform-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func redisConfigAddsTheProcessIdentityToTheSpecSettings() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root)
        let config = platform.redisConfig(spec: DeploymentSpec(), address: "127.0.9.3",
                                          podDirectory: platform.podDirectory(2), password: "secret").render()
        let lines = Set(config.split(separator: "\n").map(String.init))
        for expected in ["bind 127.0.9.3", "bind-source-addr 127.0.9.3", "port 6379", "requirepass secret",
                         "masterauth secret", "cluster-enabled yes", "cluster-config-file nodes.conf",
                         "maxmemory 6gb", "appendonly yes", "daemonize yes",
                         "dir \(root.path)/cache/pods/cache-2/data"] {
            #expect(lines.contains(expected), "missing: \(expected)")
        }
    }

    @Test func clustersOfDifferentStateDirectoriesGetDifferentSubnets() throws {
        let claims = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: claims) }
        setenv("REDISCTL_SUBNET_CLAIMS", claims.path, 1)
        defer { unsetenv("REDISCTL_SUBNET_CLAIMS") }
        let start = LoopbackSubnet(second: Int.random(in: 20...250), third: 7)
        let first = try LoopbackSubnetAllocator.claim(owner: "/state/a/cluster", start: start)
        let second = try LoopbackSubnetAllocator.claim(owner: "/state/b/cluster", start: start)
        #expect(first != second)
        #expect(first.address(ordinal: 0) == "127.\(first.second).\(first.third).1")
        // A claim whose owner is gone can be taken again; a released one too.
        LoopbackSubnetAllocator.release(first, owner: "/state/a/cluster")
        let third = try LoopbackSubnetAllocator.claim(owner: "/state/c/cluster", start: start)
        #expect(third == first)
    }

    @Test func loopbackSubnetNeverUses127_0_0() throws {
        let claims = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: claims) }
        setenv("REDISCTL_SUBNET_CLAIMS", claims.path, 1)
        defer { unsetenv("REDISCTL_SUBNET_CLAIMS") }
        let subnet = try LoopbackSubnetAllocator.claim(owner: "/state/x", start: LoopbackSubnet(second: 0, third: 0))
        #expect(!(subnet.second == 0 && subnet.third == 0))
    }

    @Test func passwordIsCreatedOnceWithOwnerOnlyPermissions() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root)
        try FileManager.default.createDirectory(at: platform.clusterDirectory, withIntermediateDirectories: true)
        let password = try platform.loadOrCreatePassword()
        #expect(password.count == 32)
        #expect(password.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(try platform.loadOrCreatePassword() == password)
        let attributes = try FileManager.default.attributesOfItem(atPath: platform.passwordURL.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func unreadableStateIsAClearError() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root)
        try FileManager.default.createDirectory(at: platform.clusterDirectory, withIntermediateDirectories: true)
        try "{not json".write(to: platform.recordURL, atomically: true, encoding: .utf8)
        do {
            _ = try await platform.pods()
            Issue.record("a corrupt cluster.json was accepted")
        } catch {
            #expect("\(error)".contains("cluster.json"), "\(error)")
        }
    }
}
