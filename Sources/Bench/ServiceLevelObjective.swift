import RedisCtlCore

/// One `--slo` threshold, such as `p99<5ms` or `ops>100000`; every test must meet every threshold.
public struct ServiceLevelObjective: Sendable, Equatable, CustomStringConvertible {
    public enum Metric: Sendable, Equatable {
        /// A latency percentile (50, 90, 99, 99.9, 99.99) or the maximum (100).
        case percentile(Double)
        case mean
        case opsPerSecond
        case errors
    }

    public enum Comparison: String, Sendable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

        func holds(_ value: Double, _ limit: Double) -> Bool {
            switch self {
            case .less: value < limit
            case .lessOrEqual: value <= limit
            case .greater: value > limit
            case .greaterOrEqual: value >= limit
            }
        }
    }

    public let metric: Metric
    public let comparison: Comparison
    /// Milliseconds for latencies, requests per second for ops, a count for errors.
    public let limit: Double
    /// The threshold as written, for messages.
    public let text: String

    public var description: String { text }

    /// Parses a comma-separated list; a bad entry throws a usage error naming it.
    public static func parseList(_ list: String) throws -> [ServiceLevelObjective] {
        let entries = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !entries.isEmpty else { throw GeneralFailure(.usage, "--slo '\(list)' names no threshold") }
        return try entries.map(parse)
    }

    public static func parse(_ text: String) throws -> ServiceLevelObjective {
        let usage = GeneralFailure(.usage,
            "--slo entry '\(text)' must be METRIC<VALUE or METRIC>VALUE, e.g. p99<5ms, p999<10ms, ops>100000, errors<1 "
            + "(metrics: p50 p90 p99 p999 p9999 max avg ops errors)")
        guard let operatorStart = text.firstIndex(where: { $0 == "<" || $0 == ">" }) else { throw usage }
        let name = text[..<operatorStart].trimmingCharacters(in: .whitespaces).lowercased()
        var rest = text[operatorStart...]
        let comparison: Comparison
        if rest.hasPrefix("<=") { comparison = .lessOrEqual; rest = rest.dropFirst(2) }
        else if rest.hasPrefix(">=") { comparison = .greaterOrEqual; rest = rest.dropFirst(2) }
        else if rest.hasPrefix("<") { comparison = .less; rest = rest.dropFirst() }
        else { comparison = .greater; rest = rest.dropFirst() }
        let valueText = rest.trimmingCharacters(in: .whitespaces).lowercased()
        let metric: Metric
        switch name {
        case "ops", "rps", "ops/s": metric = .opsPerSecond
        case "errors": metric = .errors
        case "avg", "mean": metric = .mean
        case "max": metric = .percentile(100)
        default:
            guard let percentile = percentile(named: name) else { throw usage }
            metric = .percentile(percentile)
        }
        let limit: Double?
        switch metric {
        case .opsPerSecond, .errors: limit = count(valueText)
        case .percentile, .mean: limit = milliseconds(valueText)
        }
        guard let limit, limit >= 0 else { throw usage }
        return ServiceLevelObjective(metric: metric, comparison: comparison, limit: limit, text: text)
    }

    /// `p99` -> 99, `p999` -> 99.9, `p9999` -> 99.99, `p99.9` -> 99.9, `p50` -> 50.
    static func percentile(named name: String) -> Double? {
        guard name.hasPrefix("p") else { return nil }
        let digits = name.dropFirst()
        if digits.contains(".") { return Double(digits).flatMap { $0 > 0 && $0 <= 100 ? $0 : nil } }
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber), let whole = Double(digits) else { return nil }
        // Two digits are whole percent; more digits continue after the decimal point (p999 = 99.9).
        if digits.count <= 2 { return whole > 0 ? whole : nil }
        if digits == "100" { return 100 }
        let value = whole / pow10(digits.count - 2)
        return value > 0 && value < 100 ? value : nil
    }

    private static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// `5ms`, `500us`, `0.5s`, or a bare number of milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("us", 0.001), ("µs", 0.001), ("ms", 1), ("s", 1000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * scale }
        }
        return Double(text)
    }

    /// `100000`, `100k`, `1.5m`.
    static func count(_ text: String) -> Double? {
        if text.hasSuffix("k") { return Double(text.dropLast()).map { $0 * 1_000 } }
        if text.hasSuffix("m") { return Double(text.dropLast()).map { $0 * 1_000_000 } }
        return Double(text)
    }

    /// The measured value this threshold looks at, in its unit.
    func measured(_ result: TestResult) -> Double {
        switch metric {
        case .percentile(let percentile): result.latency.milliseconds(atPercentile: percentile)
        case .mean: result.latency.meanMilliseconds
        case .opsPerSecond: result.opsPerSecond
        case .errors: Double(result.errorCount)
        }
    }

    /// One line per test that misses this threshold.
    public func misses(in report: BenchmarkReport) -> [String] {
        report.tests.compactMap { result in
            let value = measured(result)
            if comparison.holds(value, limit) { return nil }
            let shown: String
            switch metric {
            case .percentile, .mean: shown = formatMilliseconds(value)
            case .opsPerSecond: shown = formatNumber(value, decimals: 2) + " ops/s"
            case .errors: shown = "\(Int(value)) errors"
            }
            return "SLO missed: \(result.name) \(metricName) was \(shown), needs \(comparison.rawValue) \(limitText)"
        }
    }

    var metricName: String {
        switch metric {
        case .percentile(100): "max latency"
        case .percentile(let percentile): "p\(formatPercentile(percentile)) latency"
        case .mean: "mean latency"
        case .opsPerSecond: "throughput"
        case .errors: "errors"
        }
    }

    var limitText: String {
        switch metric {
        case .percentile, .mean: formatMilliseconds(limit)
        case .opsPerSecond: formatNumber(limit, decimals: 0) + " ops/s"
        case .errors: formatNumber(limit, decimals: 0)
        }
    }
}

extension BenchmarkReport {
    /// Every miss of every threshold, one line each; empty when all are met.
    public func sloMisses(_ objectives: [ServiceLevelObjective]) -> [String] {
        objectives.flatMap { $0.misses(in: self) }
    }
}
