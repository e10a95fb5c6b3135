import NIOCore
import RESP

/// One benchmark client: a connection to every master, its own key generator, and the loop that
/// keeps its requests going. Lives on one event loop; the next request is sent from the reply
/// handler itself, with no task hop.
final class BenchClient {
    let index: Int
    /// The loop owns its clients and drops them only after every connection is closed.
    unowned(unsafe) let loop: BenchLoop
    var connections: [BenchConnection] = []
    var keys: KeyGenerator
    /// Every test replays the same keys, so GET reads what SET wrote.
    private let initialKeys: KeyGenerator
    private var outstanding = 0
    private var requestIndex = 0
    private var touched: [Int] = []
    private(set) var finished = true
    private(set) var broken = false
    // Open loop (--rate).
    private var nextDue: UInt64 = 0
    private var interval: UInt64 = 0
    private var exhausted = false
    /// Open loop: most requests one client keeps in flight before it holds back sends (their
    /// latency still runs from the scheduled time).
    static let maxOutstandingOpenLoop = 10_000
    /// Redirects followed for one request before it counts as an error.
    static let maxRedirects: UInt8 = 5

    /// The one master this client sends to (see `ClientPlacement`); nil when it sends anywhere.
    private let boundMaster: Int?

    init(index: Int, loop: BenchLoop, keys: KeyGenerator, boundMaster: Int?) {
        self.index = index
        self.loop = loop
        self.boundMaster = boundMaster
        self.keys = keys
        initialKeys = keys
    }

    /// Starts this client on the loop's current test.
    func start(openLoopStart: UInt64?, interval: UInt64) {
        guard !broken else { return }
        finished = false
        exhausted = false
        requestIndex = 0
        outstanding = 0
        keys = initialKeys
        if case .fixed = keys.source {
            let template = loop.templates[loop.test.operation(at: 0).index]
            keys.source = .fixed(KeyGenerator.balancedFixedKey(client: index, clients: loop.settings.clients, master: boundMaster) {
                loop.owner(ofSlot: template.slot($0))
            })
        }
        self.interval = openLoopStart == nil ? 0 : max(interval, 1)
        loop.activeClients += 1
        if let openLoopStart {
            nextDue = openLoopStart
            scheduleTick(at: nextDue)
        } else {
            sendBatch()
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        loop.clientFinished()
    }

    // MARK: Closed loop

    private func sendBatch() {
        if broken || loop.stopping {
            finish()
            return
        }
        let pipeline = loop.pipeline
        let now = monotonicNanos()
        let granted = loop.claim(pipeline, now: now)
        guard granted > 0 else {
            finish()
            return
        }
        let test = loop.test
        let keepOnOneMaster = (granted > 1 || boundMaster != nil) && keys.isRandom && connections.count > 1
        var batchMaster = boundMaster ?? -1
        for _ in 0..<granted {
            let template = loop.templates[test.operation(at: requestIndex).index]
            requestIndex &+= 1
            var keyNumber = keys.nextKey()
            var digits = KeyDigits(keyNumber)
            var master = loop.owner(ofSlot: template.slot(digits))
            if keepOnOneMaster {
                // Re-draw keys of other masters: the batch goes out in one write to one node, and the
                // distribution of keys stays what the pattern gives (the batch's master is the client's
                // own, or else that of its first key, drawn freely).
                if batchMaster < 0 {
                    batchMaster = master
                } else {
                    var attempts = 0
                    while master != batchMaster && attempts < 64 {
                        keyNumber = keys.nextKey()
                        digits = KeyDigits(keyNumber)
                        master = loop.owner(ofSlot: template.slot(digits))
                        attempts += 1
                    }
                }
            }
            let element = template.needsElement ? keys.nextElement() : 0
            send(template, digits: digits, keyNumber: keyNumber, element: element, master: master, sentAt: now,
                 stampOnFlush: true)
        }
        outstanding = granted
        // Written once the loop has read every ready connection: a reply's arrival is stamped
        // before, not after, the writes that other replies trigger.
        for master in touched { loop.scheduleFlush(connections[master]) }
        touched.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func send(_ template: RequestTemplate, digits: KeyDigits, keyNumber: UInt64, element: UInt64, master: Int,
                      sentAt: UInt64, redirects: UInt8 = 0, stampOnFlush: Bool = false) {
        let connection = connections[master]
        connection.enqueue(template, key: digits, keyNumber: keyNumber, element: element, sentAt: sentAt, redirects: redirects,
                           stampOnFlush: stampOnFlush)
        if !connection.needsFlush {
            connection.needsFlush = true
            touched.append(master)
        }
    }

    @inline(__always)
    private func flushTouched() {
        for master in touched { connections[master].flush() }
        touched.removeAll(keepingCapacity: true)
    }

    // MARK: Open loop

    private func scheduleTick(at due: UInt64) {
        _ = loop.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(due)) { [self] in tick() }
    }

    private func tick() {
        if broken || finished { return }
        let now = monotonicNanos()
        var heldBack = false
        while nextDue <= now {
            if outstanding >= Self.maxOutstandingOpenLoop {
                heldBack = true
                break
            }
            guard !loop.stopping, loop.claim(1, now: nextDue) == 1 else {
                exhausted = true
                break
            }
            let template = loop.templates[loop.test.operation(at: requestIndex).index]
            requestIndex &+= 1
            let keyNumber = keys.nextKey()
            let digits = KeyDigits(keyNumber)
            let element = template.needsElement ? keys.nextElement() : 0
            send(template, digits: digits, keyNumber: keyNumber, element: element,
                 master: loop.owner(ofSlot: template.slot(digits)), sentAt: nextDue)
            outstanding += 1
            nextDue &+= interval
        }
        flushTouched()
        if exhausted {
            if outstanding == 0 { finish() }
            return
        }
        scheduleTick(at: heldBack ? now + 1_000_000 : nextDue)
    }

    // MARK: Replies

    /// Checks one reply against what its command must return, records its latency, and keeps the
    /// client going.
    @inline(__always)
    func replied(_ entry: PendingRequest, bytes: UnsafeRawBufferPointer, start: Int, end: Int,
                 connection: BenchConnection, now: UInt64) {
        let recording = entry.sentAt >= loop.recordFrom
        let stats = loop.stats
        switch bytes[start] {
        case UInt8(ascii: "+"):
            let expected = entry.operation.expectedReply
            let length = end - start - 3
            let matches = (expected == .ok && length == 2 && bytes[start + 1] == UInt8(ascii: "O") && bytes[start + 2] == UInt8(ascii: "K"))
                || (expected == .pong && length == 4 && bytes[start + 1] == UInt8(ascii: "P"))
            if !matches && recording { stats.countError("unexpected reply to \(entry.operation.reportName)") }
        case UInt8(ascii: ":"):
            if entry.operation.expectedReply != .integer && recording {
                stats.countError("unexpected reply to \(entry.operation.reportName)")
            }
        case UInt8(ascii: "$"):
            let expected = entry.operation.expectedReply
            if bytes[start + 1] == UInt8(ascii: "-") {
                if expected == .storedValue || expected == .bulkOrNil {
                    if recording { stats.misses &+= 1 }
                } else if recording {
                    stats.countError("unexpected reply to \(entry.operation.reportName)")
                }
            } else if expected == .storedValue {
                var bodyStart = start + 1
                while bytes[bodyStart] != 13 { bodyStart += 1 }
                bodyStart += 2
                let body = UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(end - 2)])
                if recording && !RequestTemplate.isStoredValue(body, key: KeyDigits(entry.key), dataSize: loop.dataSize) {
                    stats.countError("wrong-value")
                }
            } else if expected != .bulkOrNil && recording {
                stats.countError("unexpected reply to \(entry.operation.reportName)")
            }
        case UInt8(ascii: "-"):
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(end - 2)]), as: UTF8.self)
            if redirect(entry, errorText: text, connection: connection, recording: recording) { return }
            if recording { stats.countError(String(text.prefix { $0 != " " })) }
        default:
            if recording { stats.countError("unexpected reply to \(entry.operation.reportName)") }
        }
        completed(entry, recording: recording, now: now)
    }

    @inline(__always)
    private func completed(_ entry: PendingRequest, recording: Bool, now: UInt64) {
        if recording { loop.stats.record(sentAt: entry.sentAt, now: now) }
        loop.progress &+= 1
        outstanding -= 1
        if outstanding == 0 {
            if interval == 0 {
                sendBatch()
            } else if exhausted || broken {
                finish()
            }
        }
    }

    /// MOVED and ASK: retry at the node the reply names (after ASKING for ASK); MOVED also updates
    /// the loop's slot map and asks the cluster for a fresh one. False when this is no redirect.
    private func redirect(_ entry: PendingRequest, errorText: String, connection: BenchConnection, recording: Bool) -> Bool {
        let error = RedisError(serverReply: errorText, endpoint: connection.endpoint)
        let slot: Int, target: RedisEndpoint, asking: Bool
        switch error.kind {
        case .moved(let movedSlot, let to): slot = movedSlot; target = to; asking = false
        case .ask(let askSlot, let to): slot = askSlot; target = to; asking = true
        default: return false
        }
        if asking { if recording { loop.stats.ask &+= 1 } } else { if recording { loop.stats.moved &+= 1 } }
        guard let master = loop.masterIndex(target) else {
            if recording { loop.stats.countError("\(asking ? "ASK" : "MOVED") to a node that was not a master at start") }
            return false
        }
        guard entry.redirects < Self.maxRedirects, !connections[master].isClosed else {
            if recording { loop.stats.countError("too many redirects") }
            return false
        }
        if !asking {
            loop.slotMoved(slot, to: master, reportedBy: connections[master])
        }
        let template = loop.templates[entry.operation.index]
        let retry = connections[master]
        if asking { retry.enqueueAsking() }
        retry.enqueue(template, key: KeyDigits(entry.key), keyNumber: entry.key, element: entry.element,
                      sentAt: entry.sentAt, redirects: entry.redirects + 1)
        retry.flush()
        return true
    }

    /// A connection closed or failed: its waiting requests are errors, and this client stops once
    /// its other requests are answered.
    func connectionFailed(_ connection: BenchConnection, error: RedisError, waiting: CircularBuffer<PendingRequest>) {
        broken = true
        loop.connectionLost(connection, error: error)
        guard !finished else { return }
        for entry in waiting where entry.kind == .request {
            outstanding -= 1
            if entry.sentAt >= loop.recordFrom { loop.stats.countError("connection-closed") }
        }
        if outstanding <= 0 {
            outstanding = 0
            finish()
        }
    }
}
