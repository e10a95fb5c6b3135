import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A node pods are placed on: its name and zone become the Node's `kubernetes.io/hostname` and
/// `topology.kubernetes.io/zone` labels.
public struct FakeKubeletNode: Sendable, Hashable {
    public var name: String
    public var zone: String

    public init(name: String, zone: String) {
        self.name = name
        self.zone = zone
    }
}

/// How a `FakeKubelet` behaves; the defaults suit most tests.
public struct FakeKubeletOptions: Sendable {
    /// Whether a recreated pod (deleted, rolled, crashed) gets a new address, as real pods do, or
    /// keeps the one it had.
    public enum RecreatedPodAddress: Sendable, Hashable {
        case new
        case same
    }

    /// Nodes created in the store; pod `<name>-<ordinal>` goes to `nodes[ordinal % nodes.count]`.
    public var nodes: [FakeKubeletNode] = [
        .init(name: "node-a", zone: "zone-a"), .init(name: "node-b", zone: "zone-a"), .init(name: "node-c", zone: "zone-b"),
    ]
    /// The `redis-server` to run; nil looks it up on PATH (and /usr/bin, /usr/local/bin).
    public var redisServerPath: String?
    public var recreatedPodAddress: RecreatedPodAddress = .new
    /// How often every StatefulSet is looked at again besides on changes (readiness probes, crashes).
    public var resyncInterval: Duration = .milliseconds(100)
    /// SIGTERM to SIGKILL when a pod is stopped.
    public var terminationGracePeriod: Duration = .seconds(5)
    /// How long a running pod's mounted Secret and ConfigMap files lag behind their objects (the real
    /// kubelet's sync takes up to about a minute).
    public var secretVolumeRefresh: Duration = .seconds(1)

    public init() {}
}

/// Plays the StatefulSet controller and kubelet for a `FakeKubernetesAPIServer`: each StatefulSet
/// becomes Pods `<name>-0…N-1` whose redis container is a real local `redis-server` on its own
/// loopback address (the pod IP), with PVCs, Ready conditions, StatefulSet status, scaling, pod
/// recreation and rolling updates.
///
/// ```swift
/// let server = try await FakeKubernetesAPIServer.start()
/// let kubelet = try server.startKubelet()
/// defer { kubelet.stop() }
/// ```
/// `stop()` kills every redis-server it started (by PID) and removes its temp dirs; `deinit` does
/// the same as a backstop.
public final class FakeKubelet: Sendable {
    public let options: FakeKubeletOptions
    /// Temp dir holding every pod's files and every PVC's data.
    public let directory: URL
    private let store: FakeObjectStore
    private let table: FakeKubeletProcessTable
    private let subscriptions: [UUID]
    private let loop: Task<Void, Never>
    private let ticker: Task<Void, Never>
    private let wakeups: AsyncStream<Void>.Continuation
    private let state: FakeKubeletStopState

    private init(
        options: FakeKubeletOptions, directory: URL, store: FakeObjectStore, table: FakeKubeletProcessTable, subscriptions: [UUID],
        loop: Task<Void, Never>, ticker: Task<Void, Never>, wakeups: AsyncStream<Void>.Continuation, state: FakeKubeletStopState
    ) {
        self.options = options
        self.directory = directory
        self.store = store
        self.table = table
        self.subscriptions = subscriptions
        self.loop = loop
        self.ticker = ticker
        self.wakeups = wakeups
        self.state = state
    }

    deinit { stop() }

    /// Creates the Node objects and starts following StatefulSets and Pods in `server`'s store.
    public static func start(server: FakeKubernetesAPIServer, options: FakeKubeletOptions = .init()) throws -> FakeKubelet {
        let store = server.store
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-kubelet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for node in options.nodes {
            store.put(FakeKubeletKinds.nodes, namespace: "", object: [
                "apiVersion": "v1", "kind": "Node",
                "metadata": [
                    "name": .string(node.name),
                    "labels": [
                        "kubernetes.io/hostname": .string(node.name), "topology.kubernetes.io/zone": .string(node.zone),
                        "kubernetes.io/os": "linux",
                    ],
                ],
                "status": [
                    "conditions": [["type": "Ready", "status": "True"]],
                    "addresses": [["type": "InternalIP", "address": "127.0.0.1"], ["type": "Hostname", "address": .string(node.name)]],
                ],
            ])
        }
        let table = FakeKubeletProcessTable()
        let controller = FakeKubeletController(store: store, options: options, table: table, directory: directory)
        let (wakeupStream, wakeups) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        // Deliveries run with the store locked: only signal the loop, never touch the store here.
        let subscriptions = [FakeKubeletKinds.statefulSets, FakeKubeletKinds.pods].map { kind in
            store.subscribe(kind) { _ in wakeups.yield() }
        }
        let state = FakeKubeletStopState()
        let loop = Task {
            for await _ in wakeupStream {
                if Task.isCancelled { break }
                await controller.reconcile()
            }
            state.markLoopFinished()
        }
        let interval = options.resyncInterval
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wakeups.yield()
            }
        }
        wakeups.yield()
        return FakeKubelet(
            options: options, directory: directory, store: store, table: table, subscriptions: subscriptions,
            loop: loop, ticker: ticker, wakeups: wakeups, state: state
        )
    }

    /// While it exists, cluster DNS answers no name (`getent hosts` finds nothing).
    static let dnsOutageMarker = "dns-outage"

    /// A cluster DNS outage and its end: while `answering` is false, pods' start scripts resolve
    /// no name.
    public func setClusterDNS(answering: Bool) throws {
        let marker = directory.appendingPathComponent(Self.dnsOutageMarker)
        if answering {
            try? FileManager.default.removeItem(at: marker)
        } else {
            try Data().write(to: marker)
        }
    }

    /// `stop()` from async code: its bounded waits run on a thread of their own, so they never
    /// hold one of the few threads every other test's tasks run on.
    public func shutdown() async {
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            Thread { [self] in
                stop()
                finished.resume()
            }.start()
        }
    }

    /// Stops following the store, kills every redis-server this kubelet started (SIGTERM, bounded
    /// wait, SIGKILL) and removes its temp dir. Pod objects stay in the store. Safe to call twice.
    /// Blocks the calling thread for up to a few seconds: async code calls `shutdown()`.
    public func stop() {
        guard state.markStopped() else { return }
        subscriptions.forEach(store.unsubscribe)
        ticker.cancel()
        loop.cancel()
        wakeups.finish()
        table.stopAll()
        // Let a pass in flight notice the stop before its files go away (bounded).
        let deadline = ContinuousClock.now.advanced(by: .seconds(3))
        while !state.loopFinished, ContinuousClock.now < deadline { usleep(5_000) }
        table.stopAll()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Inspection

    public var nodes: [FakeKubeletNode] { options.nodes }

    /// The PID of the redis-server currently running as pod `pod`, if any.
    public func pid(namespace: String, pod: String) -> Int32? {
        table.all.first { $0.podKey == FakeKubeletPodKey(namespace: namespace, name: pod) && $0.isRunning }?.pid
    }

    /// PIDs of every redis-server this kubelet runs now.
    public var runningPIDs: [Int32] { table.all.filter(\.isRunning).map(\.pid).sorted() }

    /// Whether `pid` (one this kubelet started) is still alive. A process the kubelet stopped has
    /// been reaped, so the PID no longer exists.
    public func isRunning(pid: Int32) -> Bool {
        if let process = table.all.first(where: { $0.pid == pid }) { return process.isRunning }
        return kill(pid, 0) == 0
    }

    /// Where PVC `claim` (`data-redis-0`) keeps its data; it outlives pods and StatefulSets.
    public func claimDirectory(namespace: String, claim: String) -> URL {
        FakeKubeletController.claimDirectory(root: directory, namespace: namespace, claim: claim)
    }

    /// The end of pod `pod`'s redis log, for failure messages.
    public func logTail(namespace: String, pod: String, lines: Int = 20) -> String {
        table.all.first { $0.podKey == FakeKubeletPodKey(namespace: namespace, name: pod) }?.logTail(lines: lines) ?? ""
    }
}

final class FakeKubeletStopState: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var finished = false

    /// True the first time only.
    func markStopped() -> Bool {
        lock.withLock {
            defer { stopped = true }
            return !stopped
        }
    }

    func markLoopFinished() { lock.withLock { finished = true } }
    var loopFinished: Bool { lock.withLock { finished } }
}

extension FakeKubernetesAPIServer {
    /// Starts a kubelet stand-in on this server's store; stop it with `stop()` (e.g. in a `defer`).
    public func startKubelet(_ options: FakeKubeletOptions = .init()) throws -> FakeKubelet {
        try FakeKubelet.start(server: self, options: options)
    }
}
