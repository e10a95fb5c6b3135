import ClusterOps
import Foundation
import PlatformLocal
import Platforms
import RedisCtlCore
import RESP

/// The formation record as a file in the state directory (`formation/<key>.json`, mode 0600): each
/// node's own values of the settings init-cluster changed, from before it changed them, until they
/// are back. A killed init leaves it, and the next run puts those values back.
struct FormationRecordFile: FormationRecord {
    let url: URL
    /// A record is a few settings per node; anything bigger is not one.
    static let maximumSize = 1 << 20

    init(stateRoot: URL, key: String) {
        url = stateRoot.appendingPathComponent("formation", isDirectory: true).appendingPathComponent("\(key).json")
    }

    func load() throws -> [String: [NodeSetting]] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        let what = "the formation record \(url.path)"
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attributes[.size] as? NSNumber, size.intValue > Self.maximumSize {
            throw GeneralFailure(.cannotRun, "\(what) is \(size.intValue) bytes, not a record; \(Self.advice)")
        }
        do {
            return try JSONDecoder().decode([String: [NodeSetting]].self, from: Data(contentsOf: url))
        } catch {
            throw GeneralFailure(.cannotRun, "\(what) is damaged (\(error.localizedDescription)); \(Self.advice)")
        }
    }

    func save(_ originals: [String: [NodeSetting]]) throws {
        let kept = originals.filter { !$0.value.isEmpty }
        if kept.isEmpty {
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            return
        }
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: try encoder.encode(kept),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw GeneralFailure(.cannotRun, "cannot write \(temporary.path)")
        }
        // rename(2) replaces the record in one step: a kill leaves the old record or the new one.
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw GeneralFailure(.cannotRun, "cannot write \(url.path): \(reason)")
        }
    }

    static let advice = "check each node's cluster-node-timeout, repl-diskless-sync and "
        + "repl-diskless-sync-max-replicas (CONFIG GET), then delete the file"
}

extension DeploymentTarget {
    /// Where init-cluster records the nodes' own settings: one record per cluster of a platform,
    /// one per set of nodes for `--nodes` (named by a hash of their sorted addresses).
    func formationRecord(nodes: [PodEndpoint]) throws -> FormationRecordFile {
        let root = try settings.stateDirectoryURL() ?? LocalPlatform.defaultStateRoot(environment: environment)
        guard usesExplicitNodes else {
            return FormationRecordFile(stateRoot: root, key: "\(platform.kind)-\(deployment.metadata.namespace)-\(clusterName)")
        }
        let addresses = nodes.map(\.endpoint.description).sorted().joined(separator: ",")
        return FormationRecordFile(stateRoot: root, key: "nodes-" + Self.fnv1a(addresses))
    }

    /// True when the nodes are `--nodes`, not a platform's pods: redisctl did not configure them.
    var usesExplicitNodes: Bool { platform is ExplicitNodes }

    /// A stable 64-bit FNV-1a hash in hex (Swift's `hashValue` changes from run to run).
    private static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
