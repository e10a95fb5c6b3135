import Platforms

/// `destroy`: remove what `deploy` made; data stays unless `--delete-data` (confirmed).
public struct DestroyCommand: Sendable {
    public var deleteData: Bool

    public init(deleteData: Bool = false) { self.deleteData = deleteData }

    public func run(_ context: CommandContext) async throws -> Int32 {
        try await DeploymentTarget.with(context, deployedSpec: .ignore) { target in
            if deleteData {
                try context.confirm("delete cluster \(target.clusterName) and ALL its data on the \(target.platform.kind) platform?")
            }
            let result = try await target.platform.destroy(deleteData: deleteData, deadline: context.deadline(),
                                                           progress: context.progress)
            try context.emit(DestroyResult(cluster: target.clusterName, removed: result.deleted, dataDeleted: deleteData))
            return 0
        }
    }
}

struct DestroyResult: CommandResult, Decodable {
    let cluster: String
    let removed: [String]
    let dataDeleted: Bool

    var text: String {
        if removed.isEmpty { return "nothing to remove for cluster \(cluster)" }
        return "removed \(removed.count) pods of \(cluster)"
            + (dataDeleted ? "; data deleted" : "; data kept (destroy --delete-data removes it)")
    }
}
