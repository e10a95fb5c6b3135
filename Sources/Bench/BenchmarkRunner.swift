import ClusterOps
import Foundation
import NIOCore
import NIOPosix
import RedisCtlCore
import RESP

/// A live reading while a test runs (the CLI shows it on a terminal).
public struct BenchmarkProgress: Sendable {
    public var test: String
    public var requests: UInt64
    public var opsPerSecond: Double
    public var p99Milliseconds: Double
}

/// Runs the tests: finds the masters, opens every client's connections on its event loop, runs
/// each test to its end, and merges the loops' histograms.
public struct BenchmarkRunner: Sendable {
    public var settings: BenchmarkSettings
    public var connector: NodeConnector
    public var seed: UInt64

    public init(settings: BenchmarkSettings, connector: NodeConnector, seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.settings = settings
        self.connector = connector
        self.seed = seed
    }

    public func run(seeds: [RedisEndpoint], onProgress: (@Sendable (BenchmarkProgress) -> Void)? = nil) async throws -> BenchmarkReport {
        let topology = try await BenchTopology.discover(seeds: seeds, connector: connector)
        return try await run(topology: topology, onProgress: onProgress)
    }

    public func run(topology: BenchTopology, onProgress: (@Sendable (BenchmarkProgress) -> Void)? = nil) async throws -> BenchmarkReport {
        var resolved = self
        if settings.threadsAreDefault {
            resolved.settings.threads = ClientPlacement.eventLoopCount(cores: settings.threads, masters: topology.masters.count,
                                                            bindsClientsToMasters: KeyGenerator.bindsClientsToMasters(settings))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: resolved.settings.threads)
        do {
            let report = try await resolved.run(topology: topology, group: group, onProgress: onProgress)
            try? await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(topology: BenchTopology, group: MultiThreadedEventLoopGroup,
                     onProgress: (@Sendable (BenchmarkProgress) -> Void)?) async throws -> BenchmarkReport {
        let startTime = Date()
        let runStart = monotonicNanos()
        let eventLoops = Array(group.makeIterator())
        let placement = ClientPlacement(clients: settings.clients, loops: eventLoops.count, masters: topology.masters.count,
                                        bindsClientsToMasters: KeyGenerator.bindsClientsToMasters(settings))
        let loops = try await makeLoops(topology: topology, eventLoops: eventLoops, placement: placement)
        do {
            try await connectClients(topology: topology, loops: loops, placement: placement)
            var results: [TestResult] = []
            var problems: [String] = []
            var incomplete: [String] = []
            for test in settings.tests {
                let result = try await runTest(test, loops: loops, onProgress: onProgress, runStart: runStart)
                results.append(result)
                let known = problems.count
                for loop in loops {
                    for line in try await loop.eventLoop.submit({ loop.value.problems }).get() where !problems.contains(line) {
                        problems.append(line)
                    }
                }
                // A connection lost during the test, or fewer replies than requests asked for: the
                // numbers describe part of the run only (once a connection is gone, later tests get none).
                if problems.count > known || !problems.isEmpty && result.requests == 0 || Self.fellShort(result, settings.length) {
                    incomplete.append(result.name)
                }
            }
            await closeAll(loops)
            let target = BenchmarkTargetInfo(mode: topology.isCluster ? "cluster" : "standalone",
                                             masters: topology.masters.map(\.description))
            return BenchmarkReport(settings: settings, target: target, tests: results, startTime: startTime, problems: problems,
                                   incompleteTests: incomplete)
        } catch {
            await closeAll(loops)
            throw error
        }
    }

    private func makeLoops(topology: BenchTopology, eventLoops: [any EventLoop], placement: ClientPlacement) async throws -> [NIOLoopBound<BenchLoop>] {
        let zipf = settings.keyPattern == .zipf ? settings.keyspace.map { ZipfDistribution(count: UInt64($0)) } : nil
        let settings = settings
        let seed = seed
        var loops: [NIOLoopBound<BenchLoop>] = []
        for (loopIndex, eventLoop) in eventLoops.enumerated() {
            let clients = placement.clients(onLoop: loopIndex)
            let bound = try await eventLoop.submit {
                let loop = BenchLoop(eventLoop: eventLoop, settings: settings, masters: topology.masters,
                                     slotOwners: topology.slotOwners)
                for index in clients {
                    let keys = KeyGenerator(settings: settings, clientIndex: index, zipf: zipf, seed: seed)
                    loop.clients.append(BenchClient(index: index, loop: loop, keys: keys, boundMaster: placement.boundMasters[index]))
                }
                return NIOLoopBound(loop, eventLoop: eventLoop)
            }.get()
            loops.append(bound)
        }
        return loops
    }

    /// Dials every client's connection to every master (through the platform's dialer) and
    /// authenticates it; a few dozen dials at a time.
    private func connectClients(topology: BenchTopology, loops: [NIOLoopBound<BenchLoop>], placement: ClientPlacement) async throws {
        let dialer = connector.dialer
        let options = connector.options
        let masters = topology.masters
        try await withThrowingTaskGroup(of: Void.self) { group in
            var launched = 0
            for client in 0..<settings.clients {
                if launched >= 32 { try await group.next() }
                launched += 1
                let loop = loops[placement.loops[client]]
                let position = placement.positions[client]
                group.addTask {
                    var channels: [any Channel] = []
                    do {
                        for (index, endpoint) in masters.enumerated() {
                            channels.append(try await Self.dial(endpoint, master: index, on: loop.eventLoop, dialer: dialer, options: options))
                        }
                    } catch {
                        for channel in channels { try? await channel.close() }
                        throw error
                    }
                    let ready = channels
                    try await loop.eventLoop.submit {
                        let client = loop.value.clients[position]
                        client.connections = try ready.map { channel in
                            let connection = try channel.pipeline.syncOperations.handler(type: BenchConnection.self)
                            connection.client = client
                            return connection
                        }
                    }.get()
                }
            }
            try await group.waitForAll()
        }
    }

    private static func dial(_ endpoint: RedisEndpoint, master: Int, on eventLoop: any EventLoop, dialer: any RedisDialer,
                             options: RedisConnectionOptions) async throws -> any Channel {
        let channel: any Channel
        do {
            channel = try await dialer.dial(endpoint, connectTimeout: options.connectTimeout, eventLoopGroup: eventLoop) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        BenchConnection(masterIndex: master, endpoint: endpoint, eventLoop: channel.eventLoop))
                }
            }
        } catch let error as RedisError {
            throw GeneralFailure(.cannotRun, "cannot open a benchmark connection: \(error.message)")
        } catch {
            throw GeneralFailure(.cannotRun, "cannot open a benchmark connection to \(endpoint): \(error); check that the node runs and is reachable")
        }
        if let password = options.password {
            let command = options.user.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
            let timeout = TimeAmount(options.commandTimeout)
            let reply: RESPValue
            do {
                reply = try await channel.eventLoop.flatSubmit {
                    do {
                        let connection = try channel.pipeline.syncOperations.handler(type: BenchConnection.self)
                        let timer = channel.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                            connection.fail(RedisError(.timeout(command: "AUTH"), endpoint: endpoint))
                        }
                        return connection.control(command).always { _ in timer.cancel() }
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }.get()
            } catch {
                try? await channel.close()
                let text = (error as? RedisError)?.message ?? "\(error)"
                throw GeneralFailure(.cannotRun, "cannot authenticate a benchmark connection: \(text)")
            }
            if case .error(let text) = reply {
                try? await channel.close()
                throw GeneralFailure(.cannotRun, RedisError(serverReply: text, endpoint: endpoint).message)
            }
        }
        return channel
    }

    private func runTest(_ test: BenchTest, loops: [NIOLoopBound<BenchLoop>],
                         onProgress: (@Sendable (BenchmarkProgress) -> Void)?, runStart: UInt64) async throws -> TestResult {
        let total: Int
        var stopAfter: UInt64?
        switch settings.length {
        case .requests(let count): total = count
        case .duration(let duration):
            total = Int.max
            stopAfter = nanos(duration)
        }
        let budget = SharedBudget(total)
        // Chunks small enough that loops finish together, large enough that the lock is rare.
        let chunk = max(settings.pipeline, min(1024, total / max(loops.count * 64, 1)))
        let start = monotonicNanos()
        let recordFrom = start + nanos(settings.warmup)
        let stopAt = stopAfter.map { recordFrom + $0 }
        var openLoop: (start: UInt64, interval: UInt64)?
        if case .rate(let rate) = settings.mode {
            openLoop = (start, UInt64(max(1, (1e9 * Double(settings.clients) / rate).rounded())))
        }
        let schedule = openLoop
        var futures: [EventLoopFuture<Void>] = []
        for loop in loops {
            futures.append(loop.eventLoop.flatSubmit {
                loop.value.start(test: test, budget: budget, chunk: chunk, recordFrom: recordFrom, stopAt: stopAt, openLoop: schedule)
            })
        }
        let progressTask = onProgress.map { callback in
            Task { await Self.reportProgress(test: test.name, loops: loops, callback: callback) }
        }
        for future in futures { try await future.get() }
        progressTask?.cancel()
        var snapshots: [LoopSnapshot] = []
        for loop in loops {
            snapshots.append(try await loop.eventLoop.submit { loop.value.stats.snapshot }.get())
        }
        let merged = LoopSnapshot.merge(snapshots)
        let seconds = merged.requests > 0 && merged.lastReply > merged.firstSend
            ? Double(merged.lastReply - merged.firstSend) / 1e9 : 0
        let offset = merged.firstSend == .max ? 0 : Double(merged.firstSend.subtractingReportingOverflow(runStart).partialValue) / 1e9
        return TestResult(name: test.name, requests: merged.requests, seconds: seconds,
                          latency: LatencySummary(histogram: merged.histogram), errors: merged.errors, misses: merged.misses,
                          moved: merged.moved, ask: merged.ask, startOffset: max(0, offset))
    }

    private static func reportProgress(test: String, loops: [NIOLoopBound<BenchLoop>],
                                       callback: @Sendable (BenchmarkProgress) -> Void) async {
        var lastCount: UInt64 = 0
        var lastTime = monotonicNanos()
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            if Task.isCancelled { return }
            var snapshots: [LoopSnapshot] = []
            for loop in loops {
                guard let snapshot = try? await loop.eventLoop.submit({ loop.value.stats.snapshot }).get() else { return }
                snapshots.append(snapshot)
            }
            let merged = LoopSnapshot.merge(snapshots)
            let now = monotonicNanos()
            let rate = now > lastTime ? Double(merged.requests &- lastCount) / (Double(now - lastTime) / 1e9) : 0
            lastCount = merged.requests
            lastTime = now
            let p99 = merged.histogram.totalCount > 0 ? Double(merged.histogram.valueAtPercentile(99)) / 1000 : 0
            callback(BenchmarkProgress(test: test, requests: merged.requests, opsPerSecond: rate, p99Milliseconds: p99))
        }
    }

    /// A test of `-n` requests that got fewer replies (errors included).
    static func fellShort(_ result: TestResult, _ length: TestLength) -> Bool {
        if case .requests(let count) = length { return result.requests < UInt64(count) }
        return false
    }

    private func closeAll(_ loops: [NIOLoopBound<BenchLoop>]) async {
        for loop in loops {
            try? await loop.eventLoop.submit { loop.value.closeAll() }.get()
        }
    }

    private func nanos(_ duration: Duration) -> UInt64 {
        let parts = duration.components
        return UInt64(max(0, parts.seconds)) * 1_000_000_000 + UInt64(max(0, parts.attoseconds) / 1_000_000_000)
    }
}
