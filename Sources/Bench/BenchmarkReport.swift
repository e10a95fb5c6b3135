import Foundation
import Histogram

/// Latency of one test's requests, in microseconds, per request (not per pipeline batch).
public struct LatencySummary: Sendable {
    public let histogram: Histogram<UInt64>

    public init(histogram: Histogram<UInt64>) { self.histogram = histogram }

    public var count: UInt64 { histogram.totalCount }

    public func milliseconds(atPercentile percentile: Double) -> Double {
        guard count > 0 else { return 0 }
        let micros = percentile >= 100 ? histogram.max : histogram.valueAtPercentile(percentile)
        return Double(micros) / 1000
    }

    public var minMilliseconds: Double { count > 0 ? Double(histogram.min) / 1000 : 0 }
    public var maxMilliseconds: Double { milliseconds(atPercentile: 100) }
    public var meanMilliseconds: Double { count > 0 ? histogram.mean / 1000 : 0 }

    /// The percentiles every report shows.
    public static let reported: [Double] = [50, 90, 95, 99, 99.9, 99.99]
}

/// One test's outcome.
public struct TestResult: Sendable {
    public let name: String
    /// Requests that got a reply (errors included), during the measured phase.
    public let requests: UInt64
    public let seconds: Double
    public let latency: LatencySummary
    /// Error replies and failed checks, by kind (`ERR`, `WRONGTYPE`, `wrong-value`, `connection-closed`, ...).
    public let errors: [String: UInt64]
    /// GET/POP replies that were nil: the key was not there (not an error).
    public let misses: UInt64
    /// Redirects followed: the request was retried at the node the reply named.
    public let moved: UInt64
    public let ask: UInt64
    /// Seconds from the run's start to this test's first measured request (for the HdrHistogram log).
    public let startOffset: Double

    public init(name: String, requests: UInt64, seconds: Double, latency: LatencySummary, errors: [String: UInt64],
                misses: UInt64, moved: UInt64, ask: UInt64, startOffset: Double = 0) {
        self.startOffset = startOffset
        self.name = name
        self.requests = requests
        self.seconds = seconds
        self.latency = latency
        self.errors = errors
        self.misses = misses
        self.moved = moved
        self.ask = ask
    }

    public var opsPerSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
    public var errorCount: UInt64 { errors.values.reduce(0, +) }
}

/// Where the benchmark ran and how.
public struct BenchmarkTargetInfo: Sendable, Codable, Equatable {
    /// `cluster` or `standalone`.
    public var mode: String
    public var masters: [String]

    public init(mode: String, masters: [String]) {
        self.mode = mode
        self.masters = masters
    }
}

/// The whole run: every test's result plus the settings that produced them.
public struct BenchmarkReport: Sendable {
    public let settings: BenchmarkSettings
    public let target: BenchmarkTargetInfo
    public let tests: [TestResult]
    public let startTime: Date
    /// Connections lost and other trouble during the run, one line each.
    public let problems: [String]
    /// Tests that did not run to their end (a connection lost, fewer replies than requests).
    public let incompleteTests: [String]

    public init(settings: BenchmarkSettings, target: BenchmarkTargetInfo, tests: [TestResult], startTime: Date = Date(),
                problems: [String] = [], incompleteTests: [String] = []) {
        self.startTime = startTime
        self.problems = problems
        self.incompleteTests = incompleteTests
        self.settings = settings
        self.target = target
        self.tests = tests
    }
}

// MARK: - Number formatting (no Foundation: fixed decimals by hand).

func formatNumber(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let negative = value < 0
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9.0e18 else { return String(value) }
    let whole = UInt64(scaled)
    let integerPart = whole / UInt64(scale)
    var text = String(integerPart)
    if decimals > 0 {
        let fraction = String(whole % UInt64(scale))
        text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return negative && scaled != 0 ? "-" + text : text
}

func formatMilliseconds(_ value: Double) -> String { formatNumber(value, decimals: 3) + "ms" }

/// 99.9 -> "99.9", 50 -> "50".
func formatPercentile(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : formatNumber(value, decimals: value * 100 == (value * 100).rounded() ? 2 : 3)
        .replacingTrailingZeros()
}

extension String {
    func replacingTrailingZeros() -> String {
        guard contains(".") else { return self }
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
