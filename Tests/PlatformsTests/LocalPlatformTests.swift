import Foundation
import RedisCtlCore
import Testing
@testable import PlatformLocal
@testable import Platforms
@testable import Spec

@Suite struct LocalPlatformTests {
    static let host = LocalHost(environment: ProcessInfo.processInfo.environment, processorCount: 2, hostName: "test-host")

    func temporaryRoot() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("redisctl-platform-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func redisConfigAddsTheProcessIdentityToTheSpecSettings() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root, host: Self.host)
        let config = platform.redisConfig(spec: DeploymentSpec(), ordinal: 2, address: "127.0.9.3").render()
        let lines = Set(config.split(separator: "\n").map(String.init))
        // Passwords are in the cluster's auth.conf, not in a pod's redis.conf.
        #expect(!config.contains("requirepass") && !config.contains("masterauth"))
        for expected in ["bind 127.0.9.3", "bind-source-addr 127.0.9.3", "port 6379", "include \(root.path)/cache/auth.conf",
                         "cluster-enabled yes", "cluster-config-file nodes.conf",
                         "maxmemory 6gb", "appendonly yes", "daemonize yes",
                         "dir \(root.path)/cache/pods/cache-2/data"] {
            #expect(lines.contains(expected), "missing: \(expected)")
        }
        // With TLS: the plain port closed, the pod's own certificate and the cluster's CA.
        var tls = DeploymentSpec()
        tls.tls.enabled = true
        let encrypted = Set(platform.redisConfig(spec: tls, ordinal: 2, address: "127.0.9.3").render()
            .split(separator: "\n").map(String.init))
        for expected in ["port 0", "tls-port 6379", "tls-cert-file \(root.path)/cache/pods/cache-2/tls/tls.crt",
                         "tls-key-file \(root.path)/cache/pods/cache-2/tls/tls.key", "tls-ca-cert-file \(root.path)/cache/tls/ca.crt",
                         "tls-replication yes", "tls-cluster yes", "tls-auth-clients optional"] {
            #expect(encrypted.contains(expected), "missing with TLS: \(expected)")
        }
        #expect(!encrypted.contains("port 6379"))
    }

    /// A CA certificate without its key is never replaced by a new CA: the run stops, naming the
    /// file, before anything is recorded or started.
    @Test func aCAWithoutItsKeyStopsTheDeploy() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root, host: Self.host,
                                     firstSubnet: .init(second: 201, third: 7))
        try FileManager.default.createDirectory(at: platform.tlsDirectory, withIntermediateDirectories: true)
        try "kept".write(to: platform.caCertificateURL, atomically: true, encoding: .utf8)
        var deployment = RedisDeployment.defaults
        deployment.spec.tls.enabled = true
        do {
            _ = try await platform.apply(deployment, removalGuard: NoRemovalExpected(), deadline: .after(.seconds(5)),
                                         progress: SilentProgress())
            Issue.record("deploy went on without the CA key")
        } catch let failure as GeneralFailure {
            #expect(failure.message.contains("ca.crt is there without its key"), "\(failure.message)")
        }
        #expect(try String(contentsOf: platform.caCertificateURL, encoding: .utf8) == "kept")
        #expect(try platform.readPodsRecord() == nil)
        #expect(!FileManager.default.fileExists(atPath: platform.podDirectory(0).appendingPathComponent("redis.conf").path))
        // The subnet the run claimed before it stopped (a claim of a removed directory is taken over anyway).
        LoopbackSubnetAllocator.release(.init(second: 201, third: 7), owner: platform.clusterDirectory.path, claimRoot: Self.host.subnetClaimRoot)
    }

    @Test func clustersOfDifferentStateDirectoriesGetDifferentSubnets() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let claims = root.appendingPathComponent("claims").path
        // Owners are state directories; a claim whose owner still exists is never taken.
        let owners = ["a", "b", "c"].map { root.appendingPathComponent($0).path }
        for owner in owners { try FileManager.default.createDirectory(atPath: owner, withIntermediateDirectories: true) }
        let start = LoopbackSubnet(second: Int.random(in: 20...250), third: 7)
        let first = try LoopbackSubnetAllocator.claim(owner: owners[0], start: start, claimRoot: claims)
        let second = try LoopbackSubnetAllocator.claim(owner: owners[1], start: start, claimRoot: claims)
        #expect(first != second)
        #expect(first.address(ordinal: 0) == "127.\(first.second).\(first.third).1")
        // The same owner gets its own claim back; a released claim is free again.
        #expect(try LoopbackSubnetAllocator.claim(owner: owners[0], start: start, claimRoot: claims) == first)
        LoopbackSubnetAllocator.release(first, owner: owners[0], claimRoot: claims)
        #expect(try LoopbackSubnetAllocator.claim(owner: owners[2], start: start, claimRoot: claims) == first)
    }

    @Test func claimOfARemovedStateDirectoryIsTakenOver() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let claims = root.appendingPathComponent("claims").path
        let start = LoopbackSubnet(second: Int.random(in: 20...250), third: 9)
        let gone = root.appendingPathComponent("deleted-by-hand").path
        let first = try LoopbackSubnetAllocator.claim(owner: gone, start: start, claimRoot: claims)
        let alive = root.appendingPathComponent("alive").path
        try FileManager.default.createDirectory(atPath: alive, withIntermediateDirectories: true)
        #expect(try LoopbackSubnetAllocator.claim(owner: alive, start: start, claimRoot: claims) == first)
    }

    @Test func loopbackSubnetNeverUses127_0_0() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let subnet = try LoopbackSubnetAllocator.claim(owner: root.path, start: LoopbackSubnet(second: 0, third: 0),
                                                       claimRoot: root.appendingPathComponent("claims").path)
        #expect(!(subnet.second == 0 && subnet.third == 0))
    }

    @Test func passwordIsCreatedOnceWithOwnerOnlyPermissions() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root, host: Self.host)
        try FileManager.default.createDirectory(at: platform.clusterDirectory, withIntermediateDirectories: true)
        let password = try platform.loadOrCreatePassword()
        #expect(password.count == 32)
        #expect(password.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(try platform.loadOrCreatePassword() == password)
        let attributes = try FileManager.default.attributesOfItem(atPath: platform.passwordURL.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    /// The servers share the host's CPUs: the spec's io-threads 4 runs as 1 on 2 CPUs for 6 servers
    /// (and the platform says so), and as the spec asks where there are CPUs enough.
    @Test func ioThreadsAreSizedToTheHost() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        func lines(cpus: Int) -> Set<String> {
            let host = LocalHost(environment: [:], processorCount: cpus, hostName: "h")
            let platform = LocalPlatform(clusterName: "cache", stateRoot: root, host: host)
            let config = platform.redisConfig(spec: DeploymentSpec(), ordinal: 0, address: "127.0.9.1").render()
            return Set(config.split(separator: "\n").map(String.init))
        }
        #expect(lines(cpus: 2).isSuperset(of: ["io-threads 1", "io-threads-do-reads no"]))
        #expect(lines(cpus: 12).isSuperset(of: ["io-threads 2", "io-threads-do-reads yes"]))
        #expect(lines(cpus: 64).isSuperset(of: ["io-threads 4", "io-threads-do-reads yes"]))
        #expect(LocalHost(environment: [:], processorCount: 0, hostName: "h").ioThreads(asked: 4, servers: 6) == 1)

        let progress = RecordingProgress()
        LocalPlatform(clusterName: "cache", stateRoot: root, host: Self.host).reportIOThreads(of: DeploymentSpec(), progress: progress)
        #expect(progress.messages == ["io-threads 1 per server, not the spec's 4: this host has 2 CPU(s) for 6 servers"])
    }

    /// A config is replaced whole (written beside it, renamed over it), owner-only, leaving nothing behind.
    @Test func privateFilesAreReplacedWhole() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root, host: Self.host)
        let file = root.appendingPathComponent("redis.conf")
        try "port 1\n".write(to: file, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        try platform.writePrivate("port 2\n", to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "port 2\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["redis.conf"])
    }

    @Test func unreadableStateIsAClearError() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root, host: Self.host)
        try FileManager.default.createDirectory(at: platform.clusterDirectory, withIntermediateDirectories: true)
        try "{not json".write(to: platform.recordURL, atomically: true, encoding: .utf8)
        do {
            _ = try await platform.pods()
            Issue.record("a corrupt cluster.json was accepted")
        } catch {
            #expect("\(error)".contains("cluster.json"), "\(error)")
        }
    }

    /// A damaged deployed spec fails every command that would use it, naming the field to remove;
    /// the pods and `destroy` need only the rest of the record and still work.
    @Test func aDamagedDeployedSpecBlocksOnlyWhatUsesIt() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let platform = LocalPlatform(clusterName: "cache", stateRoot: root, host: Self.host)
        try FileManager.default.createDirectory(at: platform.clusterDirectory, withIntermediateDirectories: true)
        let record = #"{"name": "cache", "podCount": 2, "subnet": {"second": 9, "third": 9}, "#
            + #""deployment": {"spec": {"masters": "five"}}}"#
        try record.write(to: platform.recordURL, atomically: true, encoding: .utf8)
        do {
            _ = try await platform.deployedSpec()
            Issue.record("a damaged deployed spec was read")
        } catch let error as GeneralFailure {
            #expect(error.category == .cannotRun)
            #expect(error.message.contains("cluster.json") && error.message.contains(#"remove its "deployment" field"#),
                    "\(error.message)")
        }
        #expect(try await platform.pods().map(\.name) == ["cache-0", "cache-1"])
        let destroyed = try await platform.destroy(deleteData: false, deadline: .after(.seconds(5)), progress: SilentProgress())
        #expect(destroyed.deleted == ["cache-0", "cache-1"])
    }
}
