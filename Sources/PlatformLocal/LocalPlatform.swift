import Foundation
import Platforms
import RedisCtlCore
import RESP
import Spec

/// The embedded platform: every pod is a real redis-server process on its own loopback address
/// (`127.A.B.N:6379`), configured from the same spec as the Kubernetes ConfigMap.
public struct LocalPlatform: Platform {
    public let kind = "local"
    public let clusterName: String
    /// This cluster's directory: `<state root>/<cluster name>`.
    public let clusterDirectory: URL
    /// Where the first free subnet search starts (tests start elsewhere to stay apart).
    public let firstSubnet: LoopbackSubnet
    /// The machine the servers share: its CPUs size their I/O threads.
    public let host: LocalHost

    public static let redisPort = 6379

    public init(clusterName: String, stateRoot: URL, host: LocalHost,
                firstSubnet: LoopbackSubnet = .init(second: 0, third: 1)) {
        self.clusterName = clusterName
        self.clusterDirectory = stateRoot.appendingPathComponent(clusterName, isDirectory: true)
        self.host = host
        self.firstSubnet = firstSubnet
    }

    /// `--state-dir`, else `$REDISCTL_STATE_DIR`, else `~/.local/state/redisctl`.
    public static func defaultStateRoot(environment: [String: String]) -> URL {
        if let explicit = environment["REDISCTL_STATE_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/redisctl", isDirectory: true)
    }

    public var dialer: any RedisDialer { TCPDialer() }

    // MARK: State on disk

    /// What the cluster directory remembers between runs.
    struct ClusterRecord: Codable, Equatable {
        var name: String
        var subnet: LoopbackSubnet
        /// Pods started so far; scale changes it.
        var podCount: Int
        /// The spec the pods were last brought to, size included (absent in records of older versions).
        var deployment: RedisDeployment?
    }

    var recordURL: URL { clusterDirectory.appendingPathComponent("cluster.json") }
    var passwordURL: URL { clusterDirectory.appendingPathComponent("password") }

    func podName(_ ordinal: Int) -> String { "\(clusterName)-\(ordinal)" }

    func podDirectory(_ ordinal: Int) -> URL {
        clusterDirectory.appendingPathComponent("pods/\(podName(ordinal))", isDirectory: true)
    }

    /// The record, its deployed spec included. A damaged spec fails here (the size is never guessed);
    /// `readPodsRecord` is for reads that need only the pods.
    func readRecord() throws -> ClusterRecord? {
        guard let data = try readRecordData() else { return nil }
        var record = try decodeRecord(PodsRecord.self, from: data).record
        record.deployment = try decodeRecord(DeploymentField.self, from: data).deployment
        if let deployment = record.deployment, let problem = SpecValidator.validate(deployment) {
            throw GeneralFailure(.cannotRun, "the deployed spec in \(recordURL.path) is not valid (\(problem.message)); "
                                 + "remove its \"deployment\" field and the next command reads the size from the nodes")
        }
        return record
    }

    /// Name, addresses and pod count only: what `pods()` and `destroy` need, readable even where
    /// the deployed spec beside them is damaged.
    func readPodsRecord() throws -> ClusterRecord? {
        guard let data = try readRecordData() else { return nil }
        return try decodeRecord(PodsRecord.self, from: data).record
    }

    private struct PodsRecord: Decodable {
        var name: String
        var subnet: LoopbackSubnet
        var podCount: Int
        var record: ClusterRecord { ClusterRecord(name: name, subnet: subnet, podCount: podCount, deployment: nil) }
    }

    private struct DeploymentField: Decodable {
        var deployment: RedisDeployment?
    }

    private func readRecordData() throws -> Data? {
        guard FileManager.default.fileExists(atPath: recordURL.path) else { return nil }
        do {
            let size = try FileManager.default.attributesOfItem(atPath: recordURL.path)[.size] as? Int ?? 0
            guard size <= DeployedSpecRecord.maximumBytes else {
                throw GeneralFailure(.cannotRun, "local cluster state \(recordURL.path) holds \(size) bytes, more than "
                                     + "a cluster record can be; it is not redisctl's")
            }
            return try Data(contentsOf: recordURL)
        } catch let failure as GeneralFailure {
            throw failure
        } catch {
            throw GeneralFailure(.cannotRun, "cannot read local cluster state \(recordURL.path): \(error.localizedDescription)")
        }
    }

    private func decodeRecord<Part: Decodable>(_ part: Part.Type, from data: Data) throws -> Part {
        do {
            return try JSONDecoder().decode(Part.self, from: data)
        } catch {
            let fix = Part.self == DeploymentField.self
                ? "remove its \"deployment\" field and the next command reads the size from the nodes"
                : "fix it, or stop the cluster's redis-server processes and remove \(clusterDirectory.path)"
            throw GeneralFailure(.cannotRun, "local cluster state \(recordURL.path) is unreadable "
                                 + "(\(DeployedSpecRecord.oneLine(error))); \(fix)")
        }
    }

    func writeRecord(_ record: ClusterRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: recordURL, options: .atomic)
    }

    /// Reads the password, or creates it (mode 0600) when the cluster is new.
    func loadOrCreatePassword() throws -> String {
        if let existing = try readPassword(passwordURL) { return existing }
        let password = PasswordGenerator.generate(length: 32)
        try writePrivate(password + "\n", to: passwordURL)
        return password
    }

    /// Writes a file readable by its owner only (it may hold the password), whole or not at all: it
    /// is written beside its place, owner-only from its creation, and renamed over it, so a killed
    /// run never leaves a half-written redis.conf that a restart would read.
    func writePrivate(_ text: String, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw GeneralFailure(.operationFailed, "cannot write \(url.path)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw GeneralFailure(.operationFailed, "cannot write \(url.path): \(reason)")
        }
    }

    public func password() async throws -> String {
        guard let text = try? String(contentsOf: passwordURL, encoding: .utf8),
              !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw GeneralFailure(.cannotRun,
                "no local cluster '\(clusterName)' in \(clusterDirectory.deletingLastPathComponent().path); run deploy --platform local first")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: redis.conf

    /// The spec's common settings, I/O threads sized to this host, plus what a local process needs:
    /// its own address and files, and the cluster's auth.conf (passwords and users, kept apart so
    /// that a changed password rewrites no redis.conf).
    func redisConfig(spec: DeploymentSpec, ordinal: Int, address: String) -> RedisConfig {
        let podDirectory = podDirectory(ordinal)
        var config = RedisConfig(RedisConfigBuilder.common(for: sizedToHost(spec)))
        let dataDirectory = podDirectory.appendingPathComponent("data").path
        config.append(contentsOf: [
            .init("bind", address),
            // Without it the cluster bus sees every peer as 127.0.0.1 and the join never completes.
            .init("bind-source-addr", address),
            .init("dir", dataDirectory),
            .init("daemonize", "yes"),
            .init("pidfile", podDirectory.appendingPathComponent("redis.pid").path),
            .init("logfile", podDirectory.appendingPathComponent("redis.log").path),
            .init("dbfilename", "dump.rdb"),
            .init("include", authConfigURL.path),
        ])
        if spec.tls.enabled {
            config.append(contentsOf: RedisConfigBuilder.tls(tlsFiles(ordinal: ordinal), port: Self.redisPort, topology: spec.topology))
        } else {
            config.append(.init("port", String(Self.redisPort)))
        }
        if spec.topology == .cluster {
            config.append(.init("cluster-config-file", "nodes.conf"))
        }
        return config
    }

    /// The spec with `io-threads` no higher than this host's CPUs allow its servers.
    func sizedToHost(_ spec: DeploymentSpec) -> DeploymentSpec {
        var sized = spec
        sized.redis.ioThreads = host.ioThreads(asked: spec.redis.ioThreads, servers: spec.redisPodCount)
        return sized
    }

    /// Says so when the servers run fewer I/O threads than the spec asks (the manifests keep its value).
    func reportIOThreads(of spec: DeploymentSpec, progress: any ProgressReporter) {
        let chosen = sizedToHost(spec).redis.ioThreads
        guard chosen != spec.redis.ioThreads else { return }
        progress.step("io-threads \(chosen) per server, not the spec's \(spec.redis.ioThreads): this host has "
                      + "\(host.processorCount) CPU(s) for \(spec.redisPodCount) servers")
    }

    // MARK: Platform

    /// Never removes a pod (shrinking is `resize`'s), so `removalGuard` is not asked.
    public func apply(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deadline: Deadline,
                      progress: any ProgressReporter) async throws -> ApplyResult {
        let spec = deployment.spec
        guard spec.redisPodCount <= LoopbackSubnet.capacity else {
            throw GeneralFailure(.cannotRun,
                "the local platform fits \(LoopbackSubnet.capacity) pods per cluster; the spec asks for \(spec.redisPodCount)")
        }
        try FileManager.default.createDirectory(at: clusterDirectory, withIntermediateDirectories: true)
        var record: ClusterRecord
        if let existing = try readRecord() {
            record = existing
        } else {
            let subnet = try LoopbackSubnetAllocator.claim(owner: clusterDirectory.path, start: firstSubnet,
                                                           claimRoot: host.subnetClaimRoot)
            record = ClusterRecord(name: clusterName, subnet: subnet, podCount: 0)
            progress.step("local cluster \(clusterName) on \(subnet)")
        }
        let password = try loadOrCreatePassword()
        try writeAuthConfig(spec: spec, admin: try adminPasswords(current: password), users: try loadOrCreateUserPasswords(for: spec))
        // Scale changes the pod count; apply never removes pods that may still own slots.
        let podCount = max(spec.redisPodCount, record.podCount)
        record.podCount = podCount
        record.deployment = deployment
        // Certificates first: a CA that cannot be read stops the run before anything is recorded.
        if spec.tls.enabled {
            try ensureCertificates(podCount: podCount, subnet: record.subnet, now: Date(), progress: progress)
        }
        try writeRecord(record)
        reportIOThreads(of: spec, progress: progress)

        var result = ApplyResult()
        for ordinal in 0..<podCount {
            let name = podName(ordinal)
            let directory = podDirectory(ordinal)
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
            let address = record.subnet.address(ordinal: ordinal)
            let config = redisConfig(spec: spec, ordinal: ordinal, address: address)
                .render(header: "Written by redisctl for \(name); changes here are overwritten by the next deploy.")
            let configURL = directory.appendingPathComponent("redis.conf")
            let previous = try? String(contentsOf: configURL, encoding: .utf8)
            let configChanged = previous != config
            if configChanged { try writePrivate(config, to: configURL) }

            switch (runningProcess(ordinal), configChanged) {
            case (.some, false):
                result.unchanged.append(name)
                continue
            case (.some, true):
                // Restarting every process at once would take the cluster down: the new config is
                // written now and rolled out pod by pod (podsAwaitingRestart / restart).
                progress.detail("\(name): configuration changed; it takes effect when the pod is restarted")
                result.updated.append(name)
                continue
            case (.none, _):
                progress.step(previous == nil ? "\(name): starting on \(address):\(Self.redisPort)"
                                              : "\(name): not running, starting again on \(address):\(Self.redisPort)")
                if previous == nil { result.created.append(name) } else { result.updated.append(name) }
            }
            try await start(ordinal: ordinal, deadline: deadline)
        }
        return result
    }

    /// Starts a pod's process from its redis.conf and remembers which config it runs: the one way
    /// a local pod starts (apply, grow and restart alike).
    func start(ordinal: Int, deadline: Deadline) async throws {
        let directory = podDirectory(ordinal)
        let configURL = directory.appendingPathComponent("redis.conf")
        let config = try String(contentsOf: configURL, encoding: .utf8)
        _ = try await LocalProcess.start(
            serverPath: try host.redisServerPath(), environment: host.environment, configPath: configURL.path, podDirectory: directory,
            logFile: directory.appendingPathComponent("redis.log").path, deadline: deadline)
        try writePrivate(config, to: runningConfigURL(ordinal))
    }

    /// A copy of the config the running process was started from (or brought to with CONFIG SET).
    func runningConfigURL(_ ordinal: Int) -> URL {
        podDirectory(ordinal).appendingPathComponent("redis.conf.running")
    }

    func runningProcess(_ ordinal: Int) -> PodProcess? {
        LocalProcess.running(inPod: podDirectory(ordinal))
    }

    public func podsAwaitingRestart() async throws -> [PodEndpoint] {
        try await pods().filter { pod in
            guard runningProcess(pod.ordinal) != nil else { return false }
            let wanted = try? String(contentsOf: podDirectory(pod.ordinal).appendingPathComponent("redis.conf"), encoding: .utf8)
            let running = try? String(contentsOf: runningConfigURL(pod.ordinal), encoding: .utf8)
            return wanted != running
        }.sorted { $0.ordinal > $1.ordinal }
    }

    /// The configuration `apply` wrote for the pod is what it starts with.
    public func restart(_ pod: PodEndpoint, of deployment: RedisDeployment, deadline: Deadline) async throws -> PodEndpoint {
        if let process = runningProcess(pod.ordinal) {
            await LocalProcess.stop(process, deadline: deadline.capped(at: .seconds(30)))
        }
        try await start(ordinal: pod.ordinal, deadline: deadline)
        let password = try await password()
        let dialer = try await nodeDialer(for: deployment.spec)
        try await poll("\(pod.name) to answer PING after its restart", until: deadline) {
            await Self.answersPing(pod.endpoint, password: password, dialer: dialer) ? .done(()) : .notYet("not answering yet")
        }
        var restarted = pod
        restarted.ready = true
        return restarted
    }

    public func deployedSpec() async throws -> RedisDeployment? {
        try readRecord()?.deployment
    }

    public func pods() async throws -> [PodEndpoint] {
        guard let record = try readPodsRecord() else { return [] }
        let processes = LocalProcess.running(inPods: (0..<record.podCount).map(podDirectory))
        return (0..<record.podCount).map { ordinal in
            let alive = processes[ordinal] != nil
            return PodEndpoint(
                name: podName(ordinal), ordinal: ordinal,
                endpoint: RedisEndpoint(host: record.subnet.address(ordinal: ordinal), port: Self.redisPort),
                // Every local pod shares one machine: the planner says that replicas share their master's host.
                host: host.hostName, ready: alive)
        }
    }

    public func waitForPods(count: Int, deadline: Deadline, progress: any ProgressReporter) async throws -> [PodEndpoint] {
        let password = try await password()
        let dialer = try await nodeDialer(for: try readRecord()?.deployment?.spec ?? .init())
        return try await poll("\(count) local pods to answer PING", until: deadline) {
            let pods = try await self.pods()
            var answering: [PodEndpoint] = []
            var silent: [String] = []
            for pod in pods.prefix(count) {
                if pod.ready, await Self.answersPing(pod.endpoint, password: password, dialer: dialer) {
                    answering.append(pod)
                } else {
                    silent.append(pod.name)
                }
            }
            if answering.count == count { return .done(answering) }
            return .notYet("\(answering.count)/\(count) pods ready; waiting for \(silent.joined(separator: ", "))")
        }
    }

    static func answersPing(_ endpoint: RedisEndpoint, password: String, dialer: any RedisDialer) async -> Bool {
        do {
            let connection = try await RedisConnection.connect(
                to: endpoint, options: RedisConnectionOptions(password: password, connectTimeout: .seconds(1),
                                                              commandTimeout: .seconds(2)), dialer: dialer)
            // LOADING replies are errors: a node still loading its data is not ready yet.
            let answer = try? await connection.send("PING").string
            await connection.close()
            return answer == "PONG"
        } catch {
            return false
        }
    }

    public func connectionEndpoints() async throws -> ConnectionEndpoints {
        let endpoints = try await pods().map(\.endpoint)
        guard let first = endpoints.first else {
            throw GeneralFailure(.cannotRun, "no local cluster '\(clusterName)'; run deploy --platform local first")
        }
        return ConnectionEndpoints(primary: first, nodes: endpoints)
    }

    public func destroy(deleteData: Bool, deadline: Deadline, progress: any ProgressReporter) async throws -> ApplyResult {
        guard let record = try readPodsRecord() else {
            return ApplyResult()
        }
        var result = ApplyResult()
        for ordinal in 0..<record.podCount {
            let directory = podDirectory(ordinal)
            if let process = runningProcess(ordinal) {
                progress.step("\(podName(ordinal)): stopping process \(process.pid)")
                await LocalProcess.stop(process, deadline: deadline.capped(at: .seconds(30)))
            }
            result.deleted.append(podName(ordinal))
            if !deleteData {
                // Keep data/ (AOF, RDB, nodes.conf); drop what deploy rewrites anyway.
                for file in ["redis.conf", "redis.conf.running", "redis.pid", "redis.log"] {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
                }
            }
        }
        if deleteData {
            try? FileManager.default.removeItem(at: clusterDirectory)
            LoopbackSubnetAllocator.release(record.subnet, owner: clusterDirectory.path, claimRoot: host.subnetClaimRoot)
        }
        return result
    }
}
