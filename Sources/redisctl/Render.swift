import ArgumentParser
import RedisCtlKit

extension RenderCommand.Format: ExpressibleByArgument {}

extension Redisctl {
    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render the Kubernetes manifests (or Helm values) from the spec as YAML.")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Write one file per object group into this directory.", valueName: "dir"))
        var out: String?

        @Option(name: .long, help: "manifests (default) or helm-values (for the bitnami/redis-cluster chart).")
        var format: RenderCommand.Format = .manifests

        @Flag(name: .long, help: "Include a freshly generated password in the auth Secret (left out by default).")
        var withSecrets = false

        func run() async throws {
            try await runCommand(global) { context in
                try await RenderCommand(outDirectory: out, format: format, withSecrets: withSecrets).run(context)
            }
        }
    }
}
