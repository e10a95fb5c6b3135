import Foundation
import RedisCtlCore
import RESP

/// Looks, before anything is written, for what a restore without replace would refuse: function
/// libraries present with other code, and keys that already exist. Keys are only looked for when
/// some master holds keys (an empty cluster cannot collide), with pipelined EXISTS per master.
struct RestorePrecheck {
    let router: SlotRouter
    let connections: [RedisConnection]
    let progress: any ProgressReporter

    /// Returns whether keys were checked; throws when anything would be overwritten.
    func run(rdbFiles: [String], deadline: Deadline) async throws -> Bool {
        var sizes: [Int64] = []
        for connection in connections { sizes.append(try await connection.send("DBSIZE").int ?? 0) }
        let checkKeys = sizes.contains { $0 > 0 }
        if checkKeys { progress.step("the target cluster holds \(sizes.reduce(0, +)) keys: checking that none of the backup's keys exist") }

        var conflicts: [String] = []
        var conflictCount = 0
        var libraries: [String] = []
        for path in rdbFiles {
            let reader = try await RDBBatchReader.open(path: path, payloads: false)
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            readFile: while true {
                if deadline.hasPassed {
                    throw GeneralFailure(.operationFailed, "checking the target cluster for existing keys did not finish in time (\(path)); nothing was written; raise --timeout")
                }
                let batch = try await reader.nextBatch(maxItems: 10_000, maxBytes: .max)
                var keysByMaster = [[[UInt8]]](repeating: [], count: router.masters.count)
                for item in batch.items {
                    switch item {
                    case .function(let function):
                        if let conflict = try await libraryConflict(function) { libraries.append(conflict) }
                    case .entry(let entry):
                        // Functions precede keys in Redis 7 files: with an empty cluster nothing more to see.
                        guard checkKeys else { break readFile }
                        guard !RestoreCommand.isExpired(entry, nowMs: nowMs) else { continue }
                        keysByMaster[router.masterIndex(forKey: entry.key)].append(entry.key)
                    }
                }
                for (key, master) in try await existing(keysByMaster) {
                    conflictCount += 1
                    if conflicts.count < 3 { conflicts.append("\"\(RDBEntry.display(key))\" on \(router.masters[master].address)") }
                }
                if batch.finished { break }
            }
        }
        if !libraries.isEmpty {
            throw GeneralFailure(.operationFailed, "function \(libraries.count == 1 ? "library" : "libraries") \(libraries.joined(separator: ", ")) already \(libraries.count == 1 ? "exists" : "exist") in the target cluster with other code; nothing was written; restore with --replace to overwrite them")
        }
        if conflictCount > 0 {
            throw GeneralFailure(.operationFailed, "\(conflictCount) \(conflictCount == 1 ? "key of the backup already exists" : "keys of the backup already exist") in the target cluster (\(conflicts.joined(separator: ", "))\(conflictCount > conflicts.count ? ", ..." : "")); nothing was written; restore with --replace to overwrite them, or --flush to empty the cluster first")
        }
        return checkKeys
    }

    /// The library's name when some master has a library of that name with different code.
    private func libraryConflict(_ function: RDBFunction) async throws -> String? {
        guard let name = function.libraryName else { return nil }
        for (index, connection) in connections.enumerated() {
            let reply = try await connection.send("FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE")
            for library in reply.array ?? [] where library[key: "library_name"]?.string == name {
                let code = library[key: "library_code"]?.bytes.map { Array($0.readableBytesView) } ?? []
                if code != function.code { return "\"\(name)\" (on \(router.masters[index].address))" }
            }
        }
        return nil
    }

    /// Keys that exist, with the index of their master; masters are asked in parallel.
    private func existing(_ keysByMaster: [[[UInt8]]]) async throws -> [([UInt8], Int)] {
        try await withThrowingTaskGroup(of: [([UInt8], Int)].self) { group in
            for (master, keys) in keysByMaster.enumerated() where !keys.isEmpty {
                let connection = connections[master]
                group.addTask {
                    var found: [([UInt8], Int)] = []
                    for start in stride(from: 0, to: keys.count, by: 1000) {
                        let chunk = keys[start..<min(start + 1000, keys.count)]
                        let replies = try await connection.pipeline(chunk.map { RedisCommand(bytes: [Array("EXISTS".utf8), $0]) })
                        for (key, reply) in zip(chunk, replies) {
                            switch reply {
                            case .success(let value): if value.int == 1 { found.append((key, master)) }
                            case .failure(let error): throw error
                            }
                        }
                    }
                    return found
                }
            }
            var all: [([UInt8], Int)] = []
            for try await found in group { all += found }
            return all
        }
    }
}
