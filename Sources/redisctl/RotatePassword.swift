import ArgumentParser
import RedisCtlCore
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
                one no longer logs in. With --grace DURATION the first run also says how long the old one may \
                stay; a run after that ends the rotation as --finish does. redisctl logs in as the admin throughout.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "End the rotation: the old password no longer logs in.")
        var finish = false

        @Option(name: .long, help: ArgumentHelp("How long the old password keeps working; a run after that ends the rotation.",
                                                valueName: "DURATION"))
        var grace: String?

        func validate() throws {
            if finish, grace != nil { throw ValidationError("--grace starts or extends a rotation; --finish ends one: give one") }
            if let grace, parseDuration(grace) == nil {
                throw ValidationError("--grace '\(grace)' is not a duration (30s, 5m, 1h, 168h; at most 30 days)")
            }
        }

        func run() async throws {
            try await runCommand(global) { context in
                try await RotatePasswordCommand(finish: finish, grace: grace.flatMap(parseDuration)).run(context)
            }
        }
    }
}
