import ArgumentParser
import Foundation
import RESP
import RedisCtlCore
import RedisCtlKit

extension OutputFormat: ExpressibleByArgument {}
extension PlatformKind: ExpressibleByArgument {}
extension ConnectMode: ExpressibleByArgument {}

/// An option layout that yields the settings a command runs with.
protocol GlobalSettingsSource {
    func settings(environment: [String: String]) throws -> GlobalSettings
}

/// The options every command takes (CLI.md "Global options").
struct GlobalOptions: ParsableArguments, GlobalSettingsSource {
    @OptionGroup var common: CommonOptions

    @Option(name: [.short, .long], help: "Kubernetes namespace (default: the spec's, redis-system).")
    var namespace: String?

    @Option(name: [.short, .long], help: "Result format on stdout: text or json (connection also: env).")
    var output: OutputFormat = .text

    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GlobalSettings {
        try common.settings(namespace: namespace, output: output, environment: environment)
    }
}

/// The global options but `-n, --namespace` and `-o, --output`, whose short names `benchmark`
/// gives to redis-benchmark's meanings; each command layout adds those two its own way.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Deployment spec (YAML).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Where the cluster lives: kubernetes or local (env REDISCTL_PLATFORM).", valueName: "platform"))
    var platform: PlatformKind?

    @Option(name: .long, help: "Cluster name (default: the spec's metadata.name, redis-cluster).")
    var name: String?

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

    @Flag(name: .long, help: "Speak TLS to the Redis nodes.")
    var tls = false

    @Option(name: .long, help: ArgumentHelp("With --tls: the CA certificates (PEM) to trust (default: the system's).", valueName: "file"))
    var cacert: String?

    @Option(name: .long, help: ArgumentHelp("With --tls: client certificate (PEM), with --key.", valueName: "file"))
    var cert: String?

    @Option(name: .long, help: ArgumentHelp("With --tls: the client certificate's private key (PEM).", valueName: "file"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("With --tls: the name the nodes' certificates must carry (default: the address dialled).", valueName: "name"))
    var sni: String?

    func validate() throws {
        if parseDuration(timeout) == nil {
            throw ValidationError("--timeout '\(timeout)' is not \(durationSyntax)")
        }
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
        if !tls, let option = [("--cacert", cacert), ("--cert", cert), ("--key", key), ("--sni", sni)].first(where: { $0.1 != nil }) {
            throw ValidationError("\(option.0) needs --tls")
        }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
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

    func settings(namespace: String?, output: OutputFormat,
                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GlobalSettings {
        let platformKind: PlatformKind
        if let platform {
            platformKind = platform
        } else if let fromEnvironment = environment["REDISCTL_PLATFORM"], !fromEnvironment.isEmpty {
            guard let parsed = PlatformKind(rawValue: fromEnvironment) else {
                throw ValidationError("REDISCTL_PLATFORM='\(fromEnvironment)' is not kubernetes or local")
            }
            platformKind = parsed
        } else {
            platformKind = .kubernetes
        }
        return GlobalSettings(
            configPath: config, platform: platformKind, name: name, namespace: namespace, stateDirectory: stateDir,
            kubeconfig: kubeconfig, kubeContext: context, output: output,
            timeout: parseDuration(timeout) ?? .seconds(600), assumeYes: yes,
            verbosity: quiet ? .quiet : (verbose ? .verbose : .normal), nodes: try parsedNodes(), user: user,
            passwordFile: passwordFile, connect: connect,
            tls: tls ? TLSSettings(caFile: cacert, certificateFile: cert, keyFile: key, serverName: sni) : nil)
    }
}

/// Runs a command's logic with the process's console and maps failures to the contract's exit codes.
func runCommand(_ options: some GlobalSettingsSource, _ body: (CommandContext) async throws -> Int32) async throws {
    let context = CommandContext(settings: try options.settings(environment: ProcessInfo.processInfo.environment),
                                 console: .standard)
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
