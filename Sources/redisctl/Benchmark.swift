import ArgumentParser
import Bench
import Foundation
import RESP
import RedisCtlCore
import RedisCtlKit

extension BenchmarkOutputFormat: ExpressibleByArgument {}

extension Redisctl {
    struct Benchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the cluster like redis-benchmark and report per-request latency; --slo makes it a pass/fail gate.",
            discussion: "Here -n is --requests (as in redis-benchmark); the Kubernetes namespace is --namespace only.")

        @OptionGroup var global: BenchmarkGlobalOptions

        @Option(name: [.short, .long], help: "Parallel clients (each holds one connection per master).")
        var clients: Int = 50

        @Option(name: [.customShort("n"), .customLong("requests")], help: "Requests per test (default 100000).")
        var requests: Int?

        @Option(name: .long, help: ArgumentHelp("Run each test this long instead of -n requests (30s, 5m).", valueName: "duration"))
        var duration: String?

        @Option(name: [.customShort("P"), .long], help: "Requests each client sends per round trip.")
        var pipeline: Int = 1

        @Option(name: [.short, .long], help: "Value size in bytes for SET, LPUSH, RPUSH, HSET, MSET.")
        var dataSize: Int = 3

        @Option(name: [.short, .long], help: ArgumentHelp(
            "Tests to run, comma-separated: get,set (default), incr, lpush, rpush, lpop, rpop, sadd, hset, spop, zadd, mset, ping.",
            valueName: "tests"))
        var tests: String?

        @Option(name: .long, help: ArgumentHelp("One mixed test with SET:GET in this proportion, e.g. 1:10.", valueName: "SET:GET"))
        var ratio: String?

        @Option(name: [.customShort("r"), .customLong("keyspace")], help: "Pick keys from this many (default: one fixed key per client).")
        var keyspace: Int?

        @Option(name: .long, help: "How keys are picked from the keyspace: uniform, sequential or zipf.")
        var keyPattern: String = "uniform"

        @Option(name: .long, help: "Event loop threads (default: the number of cores; with fixed or uniform keys, one per master when there are more masters, up to twice the cores).")
        var threads: Int?

        @Option(name: .long, help: ArgumentHelp("Run each test this long before measuring (2s, 500ms).", valueName: "duration"))
        var warmup: String?

        @Option(name: .long, help: ArgumentHelp("Open loop: send this many requests per second on a fixed schedule; latency counts from the scheduled time.", valueName: "requests/s"))
        var rate: Double?

        @Option(name: [.short, .long], help: "Report format on stdout: text, json or csv (redis-benchmark's columns).")
        var output: BenchmarkOutputFormat = .text

        @Option(name: .long, help: ArgumentHelp("Also write every test's latency histogram to this file (HdrHistogram log format).", valueName: "file"))
        var hdrOut: String?

        @Option(name: .long, help: ArgumentHelp("Thresholds every test must meet, e.g. \"p99<5ms,p999<10ms,ops>100000\"; exit 1 naming each miss.", valueName: "list"))
        var slo: String?

        func run() async throws {
            var request = BenchmarkRequest()
            request.clients = clients
            request.requests = requests
            request.duration = duration
            request.pipeline = pipeline
            request.dataSize = dataSize
            request.tests = tests
            request.ratio = ratio
            request.keyspace = keyspace
            request.keyPattern = keyPattern
            request.threads = threads
            request.warmup = warmup
            request.rate = rate
            let command = BenchmarkCommand(request: request, output: output, hdrOut: hdrOut, slo: slo,
                                           liveProgress: isatty(STDERR_FILENO) == 1)
            try await runCommand(global) { context in try await command.run(context) }
        }
    }
}

/// The global options, laid out for `benchmark`: `-n` belongs to --requests there (as in
/// redis-benchmark), so the namespace is `--namespace` only; `-o` is the benchmark's own format.
struct BenchmarkGlobalOptions: ParsableArguments, GlobalSettingsSource {
    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Kubernetes namespace (default: the spec's, redis-system).")
    var namespace: String?

    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GlobalSettings {
        try common.settings(namespace: namespace, output: .text, environment: environment)
    }
}
