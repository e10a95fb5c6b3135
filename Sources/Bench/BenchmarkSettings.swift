import NIOCore
import RedisCtlCore

/// How keys are picked from the keyspace.
public enum KeyPattern: String, Sendable, CaseIterable, Codable {
    /// Each key equally likely.
    case uniform
    /// Client c walks c, c+C, c+2C, ... (C clients): keys are unique per client until the keyspace wraps.
    case sequential
    /// Zipfian (theta 0.99, as YCSB): a few keys take most of the traffic.
    case zipf
}

/// How the load is generated: closed loop (each client waits for its replies) or open loop at a fixed rate.
public enum LoadMode: Sendable, Equatable {
    case closed(pipeline: Int)
    /// Requests per second over all clients; latency runs from each request's scheduled send time.
    case rate(Double)
}

/// When a test ends.
public enum TestLength: Sendable, Equatable {
    case requests(Int)
    case duration(Duration)
}

/// A validated benchmark: every field checked, ready to run.
public struct BenchmarkSettings: Sendable, Equatable {
    public var clients: Int
    public var length: TestLength
    public var mode: LoadMode
    public var dataSize: Int
    public var tests: [BenchTest]
    /// Nil: each client uses one fixed key of its own (redis-benchmark without -r).
    public var keyspace: Int?
    public var keyPattern: KeyPattern
    public var threads: Int
    public var warmup: Duration
    /// No reply on a connection with requests outstanding for this long ends the run with an error.
    public var stallTimeout: Duration
    /// `threads` was not given: the runner may use more loops, one per master (see
    /// `BenchmarkRunner.eventLoopCount`).
    public var threadsAreDefault = false

    public init(clients: Int = 50, length: TestLength = .requests(100_000), mode: LoadMode = .closed(pipeline: 1),
                dataSize: Int = 3, tests: [BenchTest] = [.single(.set), .single(.get)], keyspace: Int? = nil,
                keyPattern: KeyPattern = .uniform, threads: Int = 1, warmup: Duration = .zero,
                stallTimeout: Duration = .seconds(30)) {
        self.clients = clients
        self.length = length
        self.mode = mode
        self.dataSize = dataSize
        self.tests = tests
        self.keyspace = keyspace
        self.keyPattern = keyPattern
        self.threads = threads
        self.warmup = warmup
        self.stallTimeout = stallTimeout
    }

    public var pipeline: Int {
        if case .closed(let pipeline) = mode { return pipeline }
        return 1
    }

    /// Largest `-d` accepted; Redis's own bulk limit is far above, but a benchmark value this big is a typo.
    public static let maxDataSize = 512 * 1024 * 1024

    /// One event loop per core.
    public static var defaultThreads: Int { System.coreCount }
}

/// The flags as typed, before checking (the CLI fills this; `validated()` turns it into settings).
public struct BenchmarkRequest: Sendable {
    public var clients = 50
    public var requests: Int?
    public var duration: String?
    public var pipeline = 1
    public var dataSize = 3
    public var tests: String?
    public var ratio: String?
    public var keyspace: Int?
    public var keyPattern: String = "uniform"
    public var threads: Int?
    public var warmup: String?
    public var rate: Double?

    public init() {}

    /// Checks every flag; a bad one throws a usage error (exit 64) naming it.
    public func validated(defaultThreads: Int) throws -> BenchmarkSettings {
        func usage(_ text: String) -> GeneralFailure { GeneralFailure(.usage, text) }
        guard clients >= 1 && clients <= 100_000 else { throw usage("-c/--clients \(clients) must be between 1 and 100000") }
        let length: TestLength
        switch (requests, duration) {
        case (.some, .some):
            throw usage("-n/--requests and --duration exclude each other; give one")
        case (.some(let count), nil):
            guard count >= 1 else { throw usage("-n/--requests \(count) must be at least 1") }
            length = .requests(count)
        case (nil, .some(let text)):
            guard let parsed = parseDuration(text), parsed > .zero else {
                throw usage("--duration '\(text)' is not a positive duration such as 30s or 5m, at most 30 days")
            }
            length = .duration(parsed)
        case (nil, nil):
            length = .requests(100_000)
        }
        guard pipeline >= 1 && pipeline <= 10_000 else { throw usage("-P/--pipeline \(pipeline) must be between 1 and 10000") }
        guard dataSize >= 1 && dataSize <= BenchmarkSettings.maxDataSize else {
            throw usage("-d/--data-size \(dataSize) must be between 1 and \(BenchmarkSettings.maxDataSize) bytes")
        }
        var tests: [BenchTest] = [.single(.set), .single(.get)]
        if let ratio {
            if self.tests != nil { throw usage("--ratio runs one mixed SET:GET test; drop -t/--tests or --ratio") }
            let parts = ratio.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let sets = Int(parts[0]), let gets = Int(parts[1]), sets >= 0, gets >= 0,
                  sets + gets > 0, sets <= 1_000_000, gets <= 1_000_000
            else { throw usage("--ratio '\(ratio)' must be SET:GET counts such as 1:10") }
            tests = [.mixed(sets: sets, gets: gets)]
        } else if let list = self.tests {
            let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            var parsed: [BenchTest] = []
            for name in names where !name.isEmpty {
                guard let operation = BenchOperation(rawValue: name) else {
                    let known = BenchOperation.allCases.map(\.rawValue).joined(separator: ", ")
                    throw usage("-t/--tests: unknown test '\(name)'; known: \(known)")
                }
                if !parsed.contains(.single(operation)) { parsed.append(.single(operation)) }
            }
            guard !parsed.isEmpty else { throw usage("-t/--tests '\(list)' names no test") }
            tests = parsed
        }
        if let keyspace, keyspace < 1 || keyspace > 1_000_000_000_000 {
            throw usage("-r/--keyspace \(keyspace) must be between 1 and 1000000000000")
        }
        guard let pattern = KeyPattern(rawValue: keyPattern.lowercased()) else {
            throw usage("--key-pattern '\(keyPattern)' must be uniform, sequential or zipf")
        }
        if pattern != .uniform && keyspace == nil {
            throw usage("--key-pattern \(pattern.rawValue) needs -r/--keyspace (without it each client uses one fixed key)")
        }
        let threads = self.threads ?? defaultThreads
        guard threads >= 1 && threads <= 256 else { throw usage("--threads \(threads) must be between 1 and 256") }
        var warmupDuration = Duration.zero
        if let warmup {
            guard let parsed = parseDuration(warmup) else {
                throw usage("--warmup '\(warmup)' is not a duration such as 2s or 500ms, at most 30 days")
            }
            warmupDuration = parsed
        }
        var mode = LoadMode.closed(pipeline: pipeline)
        if let rate {
            guard rate.isFinite, rate > 0, rate <= 100_000_000 else {
                throw usage("--rate \(rate) must be a positive request rate per second")
            }
            guard pipeline == 1 else {
                throw usage("--rate sends each request at its scheduled time without waiting for replies; drop -P/--pipeline")
            }
            mode = .rate(rate)
        }
        var settings = BenchmarkSettings(clients: clients, length: length, mode: mode, dataSize: dataSize, tests: tests,
                                         keyspace: keyspace, keyPattern: pattern, threads: threads, warmup: warmupDuration)
        settings.threadsAreDefault = self.threads == nil
        return settings
    }
}
