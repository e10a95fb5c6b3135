import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct Scale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scale",
            abstract: "Grow or shrink the cluster (masters, replicas per master) while it serves, losing no key.")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Masters after the scale (default: as now).")
        var masters: Int?

        @Option(name: .long, help: "Replicas per master after the scale (default: as now).")
        var replicasPerMaster: Int?

        @Flag(name: .long, help: "Print the plan (pods, replicas, slot moves) without changing anything.")
        var dryRun = false

        @Flag(name: .long, help: "Shrinking: also delete the removed pods' data (PersistentVolumeClaims, local data).")
        var deleteData = false

        func validate() throws {
            if let problem = ShapeFlags.problem(masters: masters, replicasPerMaster: replicasPerMaster) {
                throw ValidationError(problem)
            }
        }

        func run() async throws {
            try await runCommand(global) { context in
                try await ScaleCommand(masters: masters, replicasPerMaster: replicasPerMaster, dryRun: dryRun,
                                       deleteData: deleteData).run(context)
            }
        }
    }
}
