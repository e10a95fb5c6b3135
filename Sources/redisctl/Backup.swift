import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snapshot every shard (RDB over the replication protocol) to a directory or S3, with a manifest.")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Destination: a directory or s3://BUCKET/PREFIX.", valueName: "dir|s3-url"))
        var to: String

        @Option(name: .long, help: ArgumentHelp("After a success, keep only the newest N complete sets.", valueName: "n"))
        var keep: Int?

        func validate() throws {
            if let keep, keep < 1 { throw ValidationError("--keep must be at least 1") }
        }

        func run() async throws {
            try await runCommand(global) { context in
                try await BackupCommand(to: to, keep: keep).run(context)
            }
        }
    }
}
