import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close open slots, cover uncovered ones, refresh stale peer addresses, re-pair replicas; exit 0 when nothing is left to do.")

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "List the steps without running them.")
        var dryRun = false

        func run() async throws {
            try await runCommand(global) { context in
                try await RepairCommand(dryRun: dryRun).run(context)
            }
        }
    }
}
