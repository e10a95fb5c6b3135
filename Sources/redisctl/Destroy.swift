import ArgumentParser
import RedisCtlKit

extension Redisctl {
    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove what deploy made; data is kept unless --delete-data.")

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Also delete the data (volumes, local data directories). Asks first.")
        var deleteData = false

        func run() async throws {
            try await runCommand(global) { context in
                try await DestroyCommand(deleteData: deleteData).run(context)
            }
        }
    }
}
