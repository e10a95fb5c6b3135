import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct InitCluster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-cluster",
            abstract: "Form the cluster from empty nodes; resume a half-done init; a healthy cluster is left alone.")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Masters (default: the spec's).")
        var masters: Int?

        @Option(name: .long, help: "Replicas per master (default: the spec's).")
        var replicasPerMaster: Int?

        @Flag(name: .long, help: "Print the plan without changing anything.")
        var dryRun = false

        func validate() throws {
            if let problem = ShapeFlags.problem(masters: masters, replicasPerMaster: replicasPerMaster) {
                throw ValidationError(problem)
            }
        }

        func run() async throws {
            try await runCommand(global) { context in
                try await InitClusterCommand(masters: masters, replicasPerMaster: replicasPerMaster, dryRun: dryRun)
                    .run(context)
            }
        }
    }
}
