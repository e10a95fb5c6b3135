import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a backup set into the running cluster, whatever its number of masters.")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("The backups: a directory or s3://BUCKET/PREFIX, optionally ending in a set id (default: the newest complete set).", valueName: "dir|s3-url"))
        var from: String

        @Flag(name: .long, help: "Overwrite keys that already exist (default: an existing key is an error).")
        var replace = false

        @Flag(name: .long, help: "Delete every key in the cluster first. Asks first.")
        var flush = false

        @Flag(name: .long, help: "Write every key with RESTORE, keeping its LRU idle time or LFU counter from the backup (slower: by default strings are written with MSET and start as freshly written).")
        var keepAccessStats = false

        func run() async throws {
            try await runCommand(global) { context in
                try await RestoreCommand(from: from, replace: replace, flush: flush, keepAccessStats: keepAccessStats).run(context)
            }
        }
    }
}
