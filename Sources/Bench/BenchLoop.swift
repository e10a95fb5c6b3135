import NIOConcurrencyHelpers
import NIOCore
import RESP

/// The requests left in a test, shared by the loops; each loop takes chunks, so the lock is
/// taken once per chunk, not per request.
final class SharedBudget: @unchecked Sendable {
    private let lock = NIOLock()
    private var remaining: Int

    init(_ total: Int) { remaining = total }

    func claim(_ wanted: Int) -> Int {
        lock.withLock {
            let granted = min(wanted, remaining)
            remaining -= granted
            return granted
        }
    }
}

/// The state one event loop shares between its clients: slot map, current test, stats. Touched
/// only on its loop.
final class BenchLoop {
    let eventLoop: any EventLoop
    let settings: BenchmarkSettings
    let masters: [RedisEndpoint]
    private var slotOwners: [UInt8]
    var clients: [BenchClient] = []
    let templates: [RequestTemplate]
    var dataSize: Int { settings.dataSize }
    var pipeline: Int { settings.pipeline }

    // The current test.
    private(set) var test: BenchTest = .single(.ping)
    private(set) var stats = LoopStats()
    private(set) var recordFrom: UInt64 = 0
    private(set) var stopping = false
    private var budget = SharedBudget(0)
    private var localBudget = 0
    private var chunk = 1
    var activeClients = 0
    private var completion: EventLoopPromise<Void>?
    /// Replies seen, measured or not: the stall watchdog's sign of life.
    var progress: UInt64 = 0
    private var watchdogGeneration = 0
    private var watchdogProgress: UInt64 = 0
    private var watchdogQuietSince: UInt64 = 0
    private var lastRefresh: UInt64 = 0
    /// Why connections were lost, one line per node and reason.
    private(set) var problems: [String] = []

    init(eventLoop: any EventLoop, settings: BenchmarkSettings, masters: [RedisEndpoint], slotOwners: [UInt8]) {
        self.eventLoop = eventLoop
        self.settings = settings
        self.masters = masters
        self.slotOwners = slotOwners
        var templates: [RequestTemplate] = []
        for operation in BenchOperation.allCases {
            templates.append(RequestTemplate(operation, dataSize: settings.dataSize))
        }
        self.templates = templates
    }

    private var flushQueue: [BenchConnection] = []
    private var flushing: [BenchConnection] = []
    private var flushScheduled = false

    @inline(__always)
    func owner(ofSlot slot: Int) -> Int { Int(slotOwners[slot]) }

    /// Writes `connection`'s batch after the loop has handled the reads it is in the middle of.
    @inline(__always)
    func scheduleFlush(_ connection: BenchConnection) {
        flushQueue.append(connection)
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.assumeIsolated().execute { [self] in flushAll() }
    }

    private func flushAll() {
        flushScheduled = false
        swap(&flushQueue, &flushing)
        for connection in flushing { connection.flush() }
        flushing.removeAll(keepingCapacity: true)
    }

    func masterIndex(_ endpoint: RedisEndpoint) -> Int? { masters.firstIndex(of: endpoint) }

    /// Takes up to `wanted` requests from the test's budget; during warmup requests are free.
    @inline(__always)
    func claim(_ wanted: Int, now: UInt64) -> Int {
        if stopping { return 0 }
        if now < recordFrom { return wanted }
        if localBudget < wanted {
            localBudget += budget.claim(max(chunk, wanted - localBudget))
        }
        let granted = min(wanted, localBudget)
        localBudget -= granted
        return granted
    }

    func countError(_ kind: String) {
        stats.countError(kind)
    }

    /// Starts every client on `test`; the future completes when all have stopped.
    func start(test: BenchTest, budget: SharedBudget, chunk: Int, recordFrom: UInt64, stopAt: UInt64?,
               openLoop: (start: UInt64, interval: UInt64)?) -> EventLoopFuture<Void> {
        self.test = test
        self.budget = budget
        self.chunk = chunk
        self.recordFrom = recordFrom
        localBudget = 0
        stopping = false
        stats = LoopStats()
        let promise = eventLoop.makePromise(of: Void.self)
        completion = promise
        activeClients = 0
        let isolated = eventLoop.assumeIsolated()
        if let stopAt {
            _ = isolated.scheduleTask(deadline: .uptimeNanoseconds(stopAt)) { [self] in stopping = true }
        }
        startWatchdog()
        for (position, client) in clients.enumerated() {
            // Spread the open loop's clients evenly over one interval.
            let offset = openLoop.map { $0.interval * UInt64(position) / UInt64(max(clients.count, 1)) } ?? 0
            client.start(openLoopStart: openLoop.map { $0.start + offset }, interval: openLoop?.interval ?? 0)
        }
        if activeClients == 0 { finishTest() }
        return promise.futureResult
    }

    func clientFinished() {
        activeClients -= 1
        if activeClients == 0 { finishTest() }
    }

    private func finishTest() {
        watchdogGeneration &+= 1
        let promise = completion
        completion = nil
        promise?.succeed(())
    }

    /// No reply for `stallTimeout` while requests wait: close those connections (their requests
    /// count as errors) so the run ends instead of hanging. Checked four times a second.
    private func startWatchdog() {
        watchdogGeneration &+= 1
        watchdogProgress = progress
        watchdogQuietSince = monotonicNanos()
        scheduleWatchdog(generation: watchdogGeneration)
    }

    private func scheduleWatchdog(generation: Int) {
        _ = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(250)) { [self] in
            guard generation == watchdogGeneration, completion != nil else { return }
            checkForStall()
            scheduleWatchdog(generation: generation)
        }
    }

    private func checkForStall() {
        let now = monotonicNanos()
        if progress != watchdogProgress {
            watchdogProgress = progress
            watchdogQuietSince = now
            return
        }
        let limit = UInt64(settings.stallTimeout.components.seconds) * 1_000_000_000
            + UInt64(settings.stallTimeout.components.attoseconds / 1_000_000_000)
        guard now - watchdogQuietSince >= limit else { return }
        for client in clients {
            for connection in client.connections where !connection.pending.isEmpty && !connection.isClosed {
                problems.append("\(connection.endpoint): no reply for \(formatNumber(Double(now - watchdogQuietSince) / 1e9, decimals: 1))s; "
                                + "the node may be overloaded, blocked or unreachable")
                connection.fail(RedisError(.timeout(command: connection.pending.first?.operation.reportName ?? "request"),
                                           endpoint: connection.endpoint))
            }
        }
        watchdogQuietSince = now
    }

    /// MOVED: the slot now lives on `master`. Patches the map at once and, at most twice a second,
    /// asks the node for the whole map (CLUSTER SLOTS) so other moved slots are found too.
    func slotMoved(_ slot: Int, to master: Int, reportedBy connection: BenchConnection) {
        slotOwners[slot] = UInt8(master)
        let now = monotonicNanos()
        guard now - lastRefresh > 500_000_000 else { return }
        lastRefresh = now
        connection.control(RedisCommand("CLUSTER", "SLOTS")).assumeIsolated().whenSuccess { [self] reply in
            applyClusterSlots(reply)
        }
    }

    private func applyClusterSlots(_ reply: RESPValue) {
        guard let ranges = reply.array else { return }
        for range in ranges {
            guard let fields = range.array, fields.count >= 3, let start = fields[0].int, let end = fields[1].int,
                  let node = fields[2].array, node.count >= 2, let host = node[0].string, let port = node[1].int,
                  start >= 0, end < 16384, start <= end,
                  let master = masterIndex(RedisEndpoint(host: host, port: Int(port)))
            else { continue }
            for slot in Int(start)...Int(end) { slotOwners[slot] = UInt8(master) }
        }
    }

    func connectionLost(_ connection: BenchConnection, error: RedisError) {
        let line = error.message
        if !problems.contains(line) { problems.append(line) }
    }

    /// Closes every connection (end of the run).
    func closeAll() {
        for client in clients {
            for connection in client.connections {
                connection.client = nil
                connection.context?.close(promise: nil)
            }
            client.connections = []
        }
        clients = []
    }
}
