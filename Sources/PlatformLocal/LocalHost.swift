import Foundation
import Platforms
import RedisCtlCore

/// The machine the local platform runs its servers on, as the caller sees it: the platform reads
/// no process-wide state itself, so tests can describe any host.
public struct LocalHost: Sendable {
    public var environment: [String: String]
    /// CPUs this process may use (`ProcessInfo.activeProcessorCount` for the real machine).
    public var processorCount: Int
    /// Every local pod reports this host, so the planner knows replicas share their master's machine.
    public var hostName: String

    public init(environment: [String: String], processorCount: Int, hostName: String) {
        self.environment = environment
        self.processorCount = max(1, processorCount)
        self.hostName = hostName
    }

    /// `io-threads` for each of `servers` servers sharing this host: at most what the spec asks, and
    /// no more than the CPUs each server has to itself (the count includes the main thread). More
    /// threads than CPUs make every server spin for CPU time: on 2 CPUs, 6 servers with 4 threads
    /// each served 1,115 SETs/s and kept burning CPU when idle.
    public func ioThreads(asked: Int, servers: Int) -> Int {
        max(1, min(asked, processorCount / max(servers, 1)))
    }

    /// The redis-server binary: `$REDISCTL_REDIS_SERVER`, else the first on PATH, else /usr/bin.
    public func redisServerPath() throws -> String {
        if let explicit = environment["REDISCTL_REDIS_SERVER"], !explicit.isEmpty { return explicit }
        let path = (environment["PATH"] ?? "") + ":/usr/bin:/usr/local/bin:/usr/sbin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw GeneralFailure(.cannotRun,
            "redis-server not found on PATH; install it (Debian: apt-get install redis-server) or set REDISCTL_REDIS_SERVER")
    }

    /// Where subnet claims live: `$REDISCTL_SUBNET_CLAIMS`, else the temporary directory.
    var subnetClaimRoot: String {
        environment["REDISCTL_SUBNET_CLAIMS"] ?? NSTemporaryDirectory() + "redisctl-subnets"
    }
}
