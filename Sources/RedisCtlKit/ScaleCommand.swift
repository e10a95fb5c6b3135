import ClusterOps
import Platforms
import RESP
import RedisCtlCore
import Spec

/// `scale`: grow or shrink the cluster (masters, replicas per master) with no key lost.
public struct ScaleCommand: Sendable {
    public var masters: Int?
    public var replicasPerMaster: Int?
    public var dryRun: Bool
    /// Shrinking: also delete the removed pods' data (PersistentVolumeClaims, local data directories).
    public var deleteData: Bool
    public var migration: SlotMigrationOptions

    public init(masters: Int? = nil, replicasPerMaster: Int? = nil, dryRun: Bool = false, deleteData: Bool = false,
                migration: SlotMigrationOptions = .init()) {
        self.masters = masters
        self.replicasPerMaster = replicasPerMaster
        self.dryRun = dryRun
        self.deleteData = deleteData
        self.migration = migration
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        guard masters != nil || replicasPerMaster != nil else {
            throw GeneralFailure(.usage, "scale needs --masters N and/or --replicas-per-master R")
        }
        if let masters, masters < ClusterLayout.minimumMasters {
            throw GeneralFailure(.usage, "--masters must be at least \(ClusterLayout.minimumMasters), got \(masters)")
        }
        if let replicasPerMaster, replicasPerMaster < 0 {
            throw GeneralFailure(.usage, "--replicas-per-master cannot be negative, got \(replicasPerMaster)")
        }
        return try await DeploymentTarget.with(context) { target in
            guard target.settings.nodes == nil else {
                throw GeneralFailure(.usage, "scale adds and removes pods, so it works on the platform's pods; drop --nodes")
            }
            try Self.checkSpec(of: target)
            let result = try await ScaleExecution(command: self, target: target, context: context).run()
            try context.emit(result)
            return result.verify.map { $0.healthy ? 0 : 1 } ?? 0
        }
    }

    /// Scale changes the size and nothing else: every new or rewritten pod gets the spec the cluster
    /// was deployed with. A spec file that says otherwise is named and refused (deploy rolls it out),
    /// and without a record of the deployed spec there is nothing safe to write.
    static func checkSpec(of target: DeploymentTarget) throws {
        if let deployed = target.deployed {
            guard let file = target.specFile else { return }
            let changed = deployed.differences(from: target.deployment, ignoring: RedisDeployment.sizePaths)
            guard changed.isEmpty else {
                throw GeneralFailure(.cannotRun,
                    "\(file) differs from the spec \(target.clusterName) was deployed with in "
                    + "\(RedisDeployment.summary(of: changed)); scale changes only the size: roll the spec out with "
                    + "redisctl deploy --config \(file) first, or scale without --config")
            }
        } else if target.specFile == nil {
            throw GeneralFailure(.cannotRun,
                "cluster \(target.clusterName) has no record of the spec it was deployed with (not deployed yet, or "
                + "by an older redisctl): deploy it (that records it), or pass its spec with --config")
        }
    }
}
