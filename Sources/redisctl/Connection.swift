import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct Connection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how applications reach the cluster: endpoints, connection string, environment.")

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Print the password instead of masking it.")
        var showPassword = false

        func run() async throws {
            try await runCommand(global) { context in
                try await ConnectionCommand(showPassword: showPassword).run(context)
            }
        }
    }
}
