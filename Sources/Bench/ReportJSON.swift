import Foundation

extension BenchmarkReport {
    /// One JSON object (sorted keys): target, settings, and each test's throughput, latency (ms),
    /// errors by kind and redirects; with `slo` when thresholds were given.
    public func json(sloObjectives: [ServiceLevelObjective]? = nil) throws -> String {
        let document = ReportDocument(
            target: target, settings: SettingsDocument(settings), tests: tests.map(TestDocument.init),
            slo: sloObjectives.map { objectives in
                let misses = sloMisses(objectives)
                return SLODocument(thresholds: objectives.map(\.text), passed: misses.isEmpty, misses: misses)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}

private struct ReportDocument: Encodable {
    let target: BenchmarkTargetInfo
    let settings: SettingsDocument
    let tests: [TestDocument]
    let slo: SLODocument?
}

private struct SLODocument: Encodable {
    let thresholds: [String]
    let passed: Bool
    let misses: [String]
}

private struct SettingsDocument: Encodable {
    let clients: Int
    let requests: Int?
    let durationSeconds: Double?
    let pipeline: Int
    let rate: Double?
    let dataSize: Int
    let keyspace: Int?
    let keyPattern: String
    let threads: Int
    let warmupSeconds: Double

    init(_ settings: BenchmarkSettings) {
        clients = settings.clients
        switch settings.length {
        case .requests(let count): requests = count; durationSeconds = nil
        case .duration(let duration): requests = nil; durationSeconds = duration.seconds
        }
        switch settings.mode {
        case .closed(let pipeline): self.pipeline = pipeline; rate = nil
        case .rate(let perSecond): pipeline = 1; rate = perSecond
        }
        dataSize = settings.dataSize
        keyspace = settings.keyspace
        keyPattern = settings.keyPattern.rawValue
        threads = settings.threads
        warmupSeconds = settings.warmup.seconds
    }
}

private struct TestDocument: Encodable {
    let name: String
    let requests: UInt64
    let seconds: Double
    let opsPerSecond: Double
    let latencyMs: [String: Double]
    let errors: [String: UInt64]
    let errorCount: UInt64
    let misses: UInt64
    let redirects: [String: UInt64]

    init(_ result: TestResult) {
        name = result.name
        requests = result.requests
        seconds = result.seconds
        opsPerSecond = result.opsPerSecond
        var latency: [String: Double] = [
            "min": result.latency.minMilliseconds, "mean": result.latency.meanMilliseconds,
            "max": result.latency.maxMilliseconds,
        ]
        for percentile in LatencySummary.reported {
            latency["p" + formatPercentile(percentile)] = result.latency.milliseconds(atPercentile: percentile)
        }
        latencyMs = latency
        errors = result.errors
        errorCount = result.errorCount
        misses = result.misses
        redirects = ["moved": result.moved, "ask": result.ask]
    }
}
