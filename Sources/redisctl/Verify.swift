import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the cluster's health; exit 0 when healthy, 1 when a check fails.")

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Also write, read back and delete one key per master.")
        var writeTest = false

        func run() async throws {
            try await runCommand(global) { context in
                try await VerifyCommand(writeTest: writeTest).run(context)
            }
        }
    }
}
