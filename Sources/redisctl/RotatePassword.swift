import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct RotatePassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-password",
            abstract: "A user's password changed on the running nodes, without a restart.",
            discussion: """
                --user names the user (default: the admin, default). The first run gives every node a new \
                password beside the old one and keeps it where the platform keeps passwords; clients \
                holding the old one keep working. Move them to the new one, then run --finish: the old \
                one no longer logs in. redisctl logs in as the admin throughout.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "End the rotation: the old password no longer logs in.")
        var finish = false

        func run() async throws {
            try await runCommand(global) { context in
                try await RotatePasswordCommand(finish: finish).run(context)
            }
        }
    }
}
