/// One backup set found in a store: its directory (`cluster/id`), whether its manifest is there,
/// and its objects.
public struct BackupSetListing: Sendable, Equatable {
    /// The set's key prefix, e.g. `redis-cluster/20261126T200501Z`.
    public var directory: String
    /// The part before the id (normally the cluster name); empty when the set sits at the root.
    public var parent: String
    public var id: String
    public var objects: [StoredObject]

    public var isComplete: Bool { objects.contains { $0.key == directory + "/" + BackupManifest.fileName } }
    public var manifestKey: String { directory + "/" + BackupManifest.fileName }

    public func object(named file: String) -> StoredObject? {
        objects.first { $0.key == directory + "/" + file }
    }
}

/// Groups a store's objects into backup sets: any object directly inside a directory whose name
/// is a set id. Pure; the store listing is the input.
public enum BackupCatalog {
    public static func sets(in objects: [StoredObject]) -> [BackupSetListing] {
        var byDirectory: [String: BackupSetListing] = [:]
        for object in objects {
            let parts = object.key.split(separator: "/", omittingEmptySubsequences: true)
            guard parts.count >= 2 else { continue }
            let id = parts[parts.count - 2]
            guard BackupSetID.isValid(id) else { continue }
            let parent = parts.dropLast(2).joined(separator: "/")
            let directory = parent.isEmpty ? String(id) : parent + "/" + id
            byDirectory[directory, default: BackupSetListing(directory: directory, parent: parent, id: String(id), objects: [])]
                .objects.append(object)
        }
        return byDirectory.values.sorted { lhs, rhs in
            lhs.parent == rhs.parent ? BackupSetID.precedes(lhs.id, rhs.id) : lhs.parent < rhs.parent
        }
    }
}

/// Which sets a `--keep N` run removes: in the same parent as the set just written, every complete
/// set past the newest N, and every incomplete set older than the new one (a newer incomplete set
/// may be another backup still running).
public enum PrunePlanner {
    public static func plan(sets: [BackupSetListing], parent: String, keep: Int, current: String) -> [BackupSetListing] {
        let siblings = sets.filter { $0.parent == parent }
        let complete = siblings.filter(\.isComplete).sorted { BackupSetID.precedes($1.id, $0.id) }
        let staleComplete = complete.dropFirst(max(keep, 1)).filter { $0.id != current }
        let staleIncomplete = siblings.filter { !$0.isComplete && BackupSetID.precedes($0.id, current) }
        return (Array(staleComplete) + staleIncomplete).sorted { BackupSetID.precedes($0.id, $1.id) }
    }
}
