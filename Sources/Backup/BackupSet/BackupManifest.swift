import ClusterOps
import Foundation
import RedisCtlCore

/// `manifest.json`: what a complete backup set holds. Written last; its presence is what makes a
/// set complete.
public struct BackupManifest: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1
    public static let fileName = "manifest.json"
    /// No manifest is anywhere near this; a bigger object is not one.
    public static let maximumSize = 16 << 20

    public var formatVersion: Int
    public var cluster: String
    /// The set's id (its directory name): the UTC time the backup started.
    public var id: String
    public var redisVersion: String
    /// ISO 8601, UTC.
    public var startedAt: String
    public var completedAt: String
    public var shards: [Shard]

    public struct Node: Codable, Sendable, Equatable {
        public var id: String
        public var address: String
        public var role: String

        public init(id: String, address: String, role: String) {
            self.id = id
            self.address = address
            self.role = role
        }
    }

    public struct Shard: Codable, Sendable, Equatable {
        public var index: Int
        /// The RDB's name inside the set (`shard-0.rdb`).
        public var file: String
        public var masterId: String
        public var nodes: [Node]
        /// The node the RDB came from.
        public var source: Node
        public var slots: [SlotRange]
        /// Keys in the snapshot; nil when the RDB did not say.
        public var keyCount: Int64?
        public var size: Int64
        public var sha256: String
        public var rdbVersion: Int?

        public init(index: Int, file: String, masterId: String, nodes: [Node], source: Node, slots: [SlotRange],
                    keyCount: Int64?, size: Int64, sha256: String, rdbVersion: Int?) {
            self.index = index
            self.file = file
            self.masterId = masterId
            self.nodes = nodes
            self.source = source
            self.slots = slots
            self.keyCount = keyCount
            self.size = size
            self.sha256 = sha256
            self.rdbVersion = rdbVersion
        }
    }

    public init(cluster: String, id: String, redisVersion: String, startedAt: String, completedAt: String, shards: [Shard]) {
        formatVersion = Self.currentFormatVersion
        self.cluster = cluster
        self.id = id
        self.redisVersion = redisVersion
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.shards = shards
    }

    public var totalSize: Int64 { shards.reduce(0) { $0 + $1.size } }
    public var totalKeys: Int64? {
        shards.reduce(Int64(0) as Int64?) { total, shard in total.flatMap { sum in shard.keyCount.map { sum + $0 } } }
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Decodes and checks a manifest; anything unusable is `.cannotRun` (exit 2) naming `where`.
    public static func decode(_ bytes: [UInt8], where location: String) throws -> BackupManifest {
        let manifest: BackupManifest
        do {
            manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(bytes))
        } catch {
            throw GeneralFailure(.cannotRun, "\(location) is not a readable backup manifest (\(Self.describe(error))); the set is corrupt")
        }
        if let problem = manifest.problem {
            throw GeneralFailure(.cannotRun, "\(location): \(problem); the set is corrupt")
        }
        return manifest
    }

    /// The first thing that makes this manifest unusable, or nil.
    public var problem: String? {
        guard formatVersion == Self.currentFormatVersion else {
            return "format version \(formatVersion) is not supported (this redisctl reads version \(Self.currentFormatVersion))"
        }
        guard !shards.isEmpty else { return "it lists no shards" }
        var files: Set<String> = []
        for shard in shards {
            guard !shard.file.isEmpty, !shard.file.contains("/"), !shard.file.contains(".."), files.insert(shard.file).inserted else {
                return "shard \(shard.index) has a bad or duplicate file name '\(shard.file)'"
            }
            guard shard.size >= 0, shard.sha256.count == 64, shard.sha256.allSatisfy(\.isHexDigit) else {
                return "shard \(shard.index) has no valid size and sha256"
            }
            guard shard.slots.allSatisfy({ SlotRange.isValidSlot($0.start) && SlotRange.isValidSlot($0.end) && $0.start <= $0.end }) else {
                return "shard \(shard.index) lists invalid slot ranges"
            }
        }
        return slotCoverageProblem
    }

    /// The shards must cover the 16,384 slots exactly once: a missing shard would restore part of
    /// the data silently, an overlap would give two shards the same keys.
    var slotCoverageProblem: String? {
        var owner = [Int?](repeating: nil, count: SlotRange.slotCount)
        for shard in shards {
            for range in shard.slots {
                for slot in range.slots {
                    if let other = owner[slot] {
                        return "shards \(other) and \(shard.index) both list slot \(slot)"
                    }
                    owner[slot] = shard.index
                }
            }
        }
        let uncovered = SlotRange.ranges(covering: owner.indices.filter { owner[$0] == nil })
        guard uncovered.isEmpty else {
            let count = SlotRange.count(of: uncovered)
            return "slots \(SlotRange.describe(Array(uncovered.prefix(5)))) (\(count) of \(SlotRange.slotCount)) are in no shard"
        }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "bad field '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: String(describing: error)
        }
    }
}
