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

        @Option(name: .long, help: "Event loop threads (default: the number of cores).")
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
            try await runBenchmark(global) { context in try await command.run(context) }
        }
    }
}

/// The global options, laid out for `benchmark`: `-n` belongs to --requests there (as in
/// redis-benchmark), so the namespace is `--namespace` only; `-o` is the benchmark's own format.
struct BenchmarkGlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Deployment spec (YAML).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Where the cluster lives: kubernetes or local (env REDISCTL_PLATFORM).", valueName: "platform"))
    var platform: PlatformKind?

    @Option(name: .long, help: "Cluster name (default: the spec's metadata.name, redis-cluster).")
    var name: String?

    @Option(name: .long, help: "Kubernetes namespace (default: the spec's, redis-system).")
    var namespace: String?

    @Option(name: .long, help: ArgumentHelp("Kubernetes credentials (default: $KUBECONFIG, ~/.kube/config).", valueName: "file"))
    var kubeconfig: String?

    @Option(name: .long, help: "Kubernetes context.")
    var context: String?

    @Option(name: .long, help: ArgumentHelp("Local platform state (default: $REDISCTL_STATE_DIR, ~/.local/state/redisctl).", valueName: "dir"))
    var stateDir: String?

    @Option(name: .long, help: ArgumentHelp("Bound on every wait (30s, 5m, 1h).", valueName: "duration"))
    var timeout: String = "10m"

    @Flag(name: [.short, .long], help: "Answer yes to confirmations.")
    var yes = false

    @Flag(name: [.short, .long], help: "More detail on stderr.")
    var verbose = false

    @Flag(name: [.short, .long], help: "Only warnings and errors on stderr.")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Use these Redis nodes instead of discovering pods.", valueName: "host:port,..."))
    var nodes: String?

    @Option(name: .long, help: "ACL user (default: default).")
    var user: String?

    @Option(name: .long, help: ArgumentHelp("Read the Redis password from this file.", valueName: "file"))
    var passwordFile: String?

    @Option(name: .long, help: "Kubernetes: reach pods directly by IP, or port-forward through the API server (default: direct inside a cluster, port-forward outside).")
    var connect: ConnectMode?

    func validate() throws {
        if parseDuration(timeout) == nil {
            throw ValidationError("--timeout '\(timeout)' is not a duration such as 30s, 5m or 1h")
        }
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
        _ = try parsedNodes()
    }

    func parsedNodes() throws -> [RedisEndpoint]? {
        guard let nodes else { return nil }
        let parts = nodes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let endpoints = parts.compactMap(RedisEndpoint.init(parsing:))
        guard !parts.isEmpty, endpoints.count == parts.count else {
            throw ValidationError("--nodes '\(nodes)' must be a comma-separated list of host:port")
        }
        return endpoints
    }

    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GlobalSettings {
        var platformKind = PlatformKind.kubernetes
        if let platform {
            platformKind = platform
        } else if let fromEnvironment = environment["REDISCTL_PLATFORM"], !fromEnvironment.isEmpty {
            guard let parsed = PlatformKind(rawValue: fromEnvironment) else {
                throw ValidationError("REDISCTL_PLATFORM='\(fromEnvironment)' is not kubernetes or local")
            }
            platformKind = parsed
        }
        return GlobalSettings(
            configPath: config, platform: platformKind, name: name, namespace: namespace, stateDirectory: stateDir,
            kubeconfig: kubeconfig, kubeContext: context, output: .text,
            timeout: parseDuration(timeout) ?? .seconds(600), assumeYes: yes,
            verbosity: quiet ? .quiet : (verbose ? .verbose : .normal), nodes: try parsedNodes(), user: user,
            passwordFile: passwordFile, connect: connect)
    }
}

/// As `runCommand`, with the benchmark's option layout.
func runBenchmark(_ options: BenchmarkGlobalOptions, _ body: (CommandContext) async throws -> Int32) async throws {
    let context = CommandContext(settings: try options.settings(), console: .standard)
    let status: Int32
    do {
        status = try await body(context)
    } catch let failure as any RedisCtlFailure {
        context.console.writeErr("error: \(failure.message)\n")
        throw ExitCode(failure.category.rawValue)
    } catch let error as CancellationError {
        context.console.writeErr("error: interrupted (\(error))\n")
        throw ExitCode(1)
    }
    if status != 0 { throw ExitCode(status) }
}
