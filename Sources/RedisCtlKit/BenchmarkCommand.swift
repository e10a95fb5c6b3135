import Bench
import Foundation
import RedisCtlCore
import RESP

/// `benchmark -o`: the report as a table, one JSON object, or redis-benchmark's CSV.
public enum BenchmarkOutputFormat: String, Sendable, CaseIterable {
    case text, json, csv
}

/// `benchmark`: a cluster-aware load generator with per-request latency; `--slo` turns the
/// results into a pass/fail gate (exit 1, one line per missed threshold).
public struct BenchmarkCommand: Sendable {
    public var request: BenchmarkRequest
    public var output: BenchmarkOutputFormat
    public var hdrOut: String?
    public var slo: String?
    /// A live `ops/s, p99` line on stderr (the CLI sets it when stderr is a terminal).
    public var liveProgress: Bool

    public init(request: BenchmarkRequest = BenchmarkRequest(), output: BenchmarkOutputFormat = .text, hdrOut: String? = nil,
                slo: String? = nil, liveProgress: Bool = false) {
        self.request = request
        self.output = output
        self.hdrOut = hdrOut
        self.slo = slo
        self.liveProgress = liveProgress
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        // Bad flags fail before anything connects.
        var settings = try request.validated(defaultThreads: BenchmarkSettings.defaultThreads)
        settings.stallTimeout = min(context.settings.timeout, .seconds(30))
        let objectives = try slo.map(ServiceLevelObjective.parseList)
        if let hdrOut, hdrOut.isEmpty { throw GeneralFailure(.usage, "--hdr-out needs a file path") }
        return try await DeploymentTarget.with(context, nodes: .insteadOfPlatform) { (target: DeploymentTarget) async throws -> Int32 in
            try await run(context, target: target, settings: settings, objectives: objectives)
        }
    }

    private func run(_ context: CommandContext, target: DeploymentTarget, settings: BenchmarkSettings,
                     objectives: [ServiceLevelObjective]?) async throws -> Int32 {
        let pods = try await target.nodes()
        let seeds = pods.filter(\.ready).map(\.endpoint) + pods.filter { !$0.ready }.map(\.endpoint)
        let runner = BenchmarkRunner(settings: settings, connector: try await target.connector())
        let console = context.console
        let showLive = liveProgress && context.settings.verbosity >= .normal
        var onProgress: (@Sendable (BenchmarkProgress) -> Void)?
        if showLive {
            onProgress = { progress in
                let p99 = String(format: "%.3f", progress.p99Milliseconds)
                console.writeErr("\r\u{1B}[2K\(progress.test): \(Int(progress.opsPerSecond)) ops/s, p99 \(p99)ms, \(progress.requests) requests")
            }
        }
        let report = try await runner.run(seeds: seeds, onProgress: onProgress)
        if showLive { console.writeErr("\r\u{1B}[2K") }
        for problem in report.problems { context.progress.warning(problem) }
        switch output {
        case .text: console.writeOut(report.text)
        case .csv: console.writeOut(report.csv)
        case .json: console.writeOut(try report.json(sloObjectives: objectives))
        }
        if let hdrOut { try writeHdrLog(report, to: hdrOut, workingDirectory: context.workingDirectory) }
        let misses = objectives.map(report.sloMisses) ?? []
        for miss in misses { console.writeErr(miss + "\n") }
        if !report.incompleteTests.isEmpty {
            // A partial run is no measurement: say which tests and which node, and fail.
            throw GeneralFailure(.operationFailed, "the benchmark did not complete \(report.incompleteTests.joined(separator: ", ")): "
                + (report.problems.first ?? "fewer replies than requests") + "; check the node, then run it again")
        }
        return misses.isEmpty ? 0 : 1
    }

    private func writeHdrLog(_ report: BenchmarkReport, to path: String, workingDirectory: String) throws {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: workingDirectory).appendingPathComponent(path)
        let intervals = report.tests.map {
            HdrHistogramLog.Interval(tag: $0.name, start: $0.startOffset, length: $0.seconds, histogram: $0.latency.histogram)
        }
        do {
            try HdrHistogramLog.render(startTime: report.startTime, intervals: intervals)
                .write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw GeneralFailure(.cannotRun, "cannot write --hdr-out \(url.path): \(error.localizedDescription)")
        }
    }
}
