import ArgumentParser
import RedisCtlKit

extension DeployCommand.DryRun: ExpressibleByArgument {}

extension Redisctl {
    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update the deployment, wait for every pod, form the cluster and verify it.")

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Stop after the pods are ready: no cluster formation, no RESP traffic.")
        var skipInit = false

        @Option(name: .long, help: "client: print the manifests only; server: send them with dryRun=All and report what would change.")
        var dryRun: DeployCommand.DryRun?

        func run() async throws {
            try await runCommand(global) { context in
                try await DeployCommand(skipInit: skipInit, dryRun: dryRun).run(context)
            }
        }
    }
}
