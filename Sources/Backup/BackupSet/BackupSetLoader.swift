import ClusterOps
import Crypto
import Foundation
import NIOCore
import RedisCtlCore
import RESP

/// A shard file that matched its manifest entry, as a local file ready to read.
public struct VerifiedShard: Sendable {
    public var shard: BackupManifest.Shard
    public var path: String
}

/// A backup set whose manifest and every shard's size and sha256 checked out.
public struct VerifiedSet: Sendable {
    public var manifest: BackupManifest
    public var location: String
    public var shards: [VerifiedShard]
    /// Downloads live here (S3); removed by `cleanUp`.
    public var temporaryDirectory: String?

    public func cleanUp() {
        if let temporaryDirectory { try? FileManager.default.removeItem(atPath: temporaryDirectory) }
    }
}

/// Finds a backup set in a store and checks it completely before anything is restored: a corrupt or
/// truncated set is `.cannotRun` (exit 2) and the cluster is never touched.
public enum BackupSetLoader {
    /// Picks the set: `id` when given; else the newest complete set, preferring sets of `cluster`.
    public static func locate(in store: any BackupStore, id: String?, cluster: String) async throws -> BackupSetListing {
        let sets = BackupCatalog.sets(in: try await store.list(prefix: ""))
        if let id {
            let matches = sets.filter { $0.id == id }
            let chosen = matches.count == 1 ? matches.first
                : matches.first(where: { $0.parent.isEmpty }) ?? matches.first(where: { $0.parent == cluster })
            guard let set = chosen else {
                if matches.isEmpty { throw GeneralFailure(.cannotRun, "no backup set \(id) under \(store.location)") }
                throw GeneralFailure(.cannotRun, "backup set \(id) exists for several clusters under \(store.location) ("
                    + matches.map(\.parent).joined(separator: ", ") + "); add the cluster to the path")
            }
            guard set.isComplete else {
                throw GeneralFailure(.cannotRun, "backup set \(store.location)/\(set.directory) has no manifest: it is incomplete and cannot be restored")
            }
            return set
        }
        let complete = sets.filter(\.isComplete)
        let candidates: [BackupSetListing]
        if complete.contains(where: { $0.parent == cluster }) {
            candidates = complete.filter { $0.parent == cluster }
        } else if complete.contains(where: { $0.parent.isEmpty }) {
            candidates = complete.filter { $0.parent.isEmpty }
        } else {
            let parents = Set(complete.map(\.parent))
            guard parents.count <= 1 else {
                throw GeneralFailure(.usage, "backups of several clusters under \(store.location) (\(parents.sorted().joined(separator: ", "))); "
                    + "add the cluster to --from")
            }
            candidates = complete
        }
        guard let newest = candidates.max(by: { BackupSetID.precedes($0.id, $1.id) }) else {
            let incomplete = sets.count - complete.count
            throw GeneralFailure(.cannotRun, "no complete backup set under \(store.location)"
                + (incomplete > 0 ? " (\(incomplete) incomplete set\(incomplete == 1 ? "" : "s") without a manifest)" : ""))
        }
        return newest
    }

    /// Reads the manifest, then gets every shard as a local file (in place for a directory store,
    /// downloaded under `temporaryRoot` otherwise) and checks its size and sha256.
    public static func fetchAndVerify(_ set: BackupSetListing, from store: any BackupStore, temporaryRoot: String,
                                      progress: any ProgressReporter) async throws -> VerifiedSet {
        let where_ = "\(store.location)/\(set.manifestKey)"
        guard let bytes = try await store.get(key: set.manifestKey, maxSize: BackupManifest.maximumSize) else {
            throw GeneralFailure(.cannotRun, "\(where_) disappeared; the set is incomplete")
        }
        let manifest = try BackupManifest.decode(bytes, where: where_)
        let location = "\(store.location)/\(set.directory)"
        // Sizes from the listing first: a truncated set fails before any download.
        for shard in manifest.shards {
            guard let object = set.object(named: shard.file) else {
                throw GeneralFailure(.cannotRun, "\(location)/\(shard.file) is missing; the set is corrupt")
            }
            guard object.size == shard.size else {
                throw GeneralFailure(.cannotRun, "\(location)/\(shard.file) is \(object.size) bytes but the manifest says \(shard.size); the set is truncated or corrupt")
            }
        }
        var temporaryDirectory: String?
        var verified: [VerifiedShard] = []
        do {
            for shard in manifest.shards {
                let key = set.directory + "/" + shard.file
                let path: String
                if let local = store.localFile(for: key) {
                    path = local
                } else {
                    if temporaryDirectory == nil {
                        let directory = URL(fileURLWithPath: temporaryRoot)
                            .appendingPathComponent("redisctl-restore-\(UUID().uuidString.prefix(8))").path
                        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                                attributes: [.posixPermissions: 0o700])
                        temporaryDirectory = directory
                    }
                    path = URL(fileURLWithPath: temporaryDirectory ?? temporaryRoot).appendingPathComponent(shard.file).path
                    progress.step("downloading \(shard.file) (\(BackupRunner.megabytes(shard.size)))")
                    try await store.download(key: key, toFile: path)
                }
                let (size, digest) = try await hashFile(path)
                guard size == shard.size else {
                    throw GeneralFailure(.cannotRun, "\(location)/\(shard.file) is \(size) bytes but the manifest says \(shard.size); the set is truncated or corrupt")
                }
                guard digest == shard.sha256.lowercased() else {
                    throw GeneralFailure(.cannotRun, "\(location)/\(shard.file) does not match its sha256 in the manifest; the set is corrupt")
                }
                try await checkKeysLieInSlots(path: path, shard: shard, location: location)
                verified.append(VerifiedShard(shard: shard, path: path))
            }
        } catch {
            if let temporaryDirectory { try? FileManager.default.removeItem(atPath: temporaryDirectory) }
            if error is GeneralFailure { throw error }
            throw GeneralFailure(.cannotRun, "cannot read backup set \(location): \(error)")
        }
        progress.step("backup set \(manifest.id) verified: \(manifest.shards.count) shards, sha256 match, every key in its shard's slots")
        return VerifiedSet(manifest: manifest, location: location, shards: verified, temporaryDirectory: temporaryDirectory)
    }

    /// Every key of a shard's file must hash to a slot its manifest entry lists: a key elsewhere means
    /// the manifest does not describe the file (a corrupt set), found before the cluster is touched.
    static func checkKeysLieInSlots(path: String, shard: BackupManifest.Shard, location: String) async throws {
        var allowed = [Bool](repeating: false, count: SlotRange.slotCount)
        for range in shard.slots { for slot in range.slots { allowed[slot] = true } }
        let reader = try await RDBBatchReader.open(path: path, payloads: false)
        while true {
            let batch = try await reader.nextBatch(maxItems: 10_000, maxBytes: .max)
            for case .entry(let entry) in batch.items {
                let slot = KeySlot.slot(forBytes: entry.key)
                guard allowed[slot] else {
                    throw GeneralFailure(.cannotRun, "\(location)/\(shard.file) holds key \"\(RDBEntry.display(entry.key))\" of slot \(slot), "
                        + "outside the slots \(SlotRange.describe(shard.slots)) the manifest lists for shard \(shard.index); the set is corrupt")
                }
            }
            if batch.finished { return }
        }
    }

    /// Size and lowercase hex sha256 of a file, read in 1 MiB chunks.
    public static func hashFile(_ path: String) async throws -> (Int64, String) {
        let source = try await FileSource.open(path: path)
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            while true {
                let chunk = try await source.read(maximum: 1 << 20)
                if chunk.readableBytes == 0 { break }
                size += Int64(chunk.readableBytes)
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
        } catch {
            await source.close()
            throw error
        }
        await source.close()
        return (size, SigV4Signer.hex(hasher.finalize()))
    }
}
