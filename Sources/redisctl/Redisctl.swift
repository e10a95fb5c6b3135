import ArgumentParser
import RedisCtlKit

@main
struct Redisctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redisctl",
        abstract: "Deploy and operate a production Redis Cluster on Kubernetes or on this machine.",
        version: RedisCtlVersion.current,
        subcommands: [Render.self, Deploy.self, InitCluster.self, Scale.self, Verify.self, Repair.self, Backup.self, Restore.self,
                      Benchmark.self, Connection.self, RotateCerts.self, RotatePassword.self, Destroy.self]
    )
}
