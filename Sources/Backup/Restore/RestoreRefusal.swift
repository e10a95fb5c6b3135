import NIOCore
import RedisCtlCore
import RESP

/// How a master turned down one command of a restore, and the one line that says so.
enum RestoreRefusal {
    /// An error reply (BUSYKEY, MOVED, a bad payload, ...).
    case error(RedisError)
    /// `SET … NX` answered nil or `MSETNX` answered 0: a key exists already.
    case keyExists
    /// A reply the command never gives.
    case unexpected(RESPValue)

    /// nil when `reply` is the success reply of `write`'s command.
    static func of(_ write: RestoreWrite, reply: Result<RESPValue, RedisError>) -> RestoreRefusal? {
        let value: RESPValue
        switch reply {
        case .failure(let error): return .error(error)
        case .success(let success): value = success
        }
        switch write.kind {
        case .restore, .mset:
            return value.string == "OK" ? nil : .unexpected(value)
        case .setWithExpiry:
            if value.isNull { return .keyExists }
            return value.string == "OK" ? nil : .unexpected(value)
        case .msetnx:
            switch value.int {
            case 1: return nil
            case 0: return .keyExists
            default: return .unexpected(value)
            }
        }
    }

    /// The keys a command writes, read back from its encoding in `batch` (for messages only).
    static func keys(of write: RestoreWrite, in batch: ByteBuffer) -> [[UInt8]] {
        guard var command = batch.getSlice(at: batch.readerIndex + write.offset, length: batch.readableBytes - write.offset),
              let parts = try? RESPParser().parse(from: &command)?.array else { return [] }
        let arguments = parts.compactMap { $0.bytes.map { Array($0.readableBytesView) } }
        switch write.kind {
        case .restore, .setWithExpiry:
            return arguments.count > 1 ? [arguments[1]] : []
        case .mset, .msetnx:
            return stride(from: 1, to: arguments.count, by: 2).map { arguments[$0] }
        }
    }

    /// One line naming the key (the first that exists, for a group) and the master.
    func failure(of write: RestoreWrite, in batch: ByteBuffer, on connection: RedisConnection, master: String) async -> GeneralFailure {
        let keys = Self.keys(of: write, in: batch)
        switch self {
        case .error(let error):
            return Self.failure(error, key: keys.first ?? [], master: master)
        case .keyExists:
            var existing = keys.first ?? []
            for key in keys {
                // Best effort: the message names a key that exists now, else the group's first.
                if let reply = try? await connection.send(RedisCommand(bytes: [Array("EXISTS".utf8), key])), reply.int == 1 {
                    existing = key
                    break
                }
            }
            return GeneralFailure(.operationFailed, "key \"\(RDBEntry.display(existing))\" already exists on master \(master) (written after the restore started); the keys restored so far stay; restore again with --replace to overwrite")
        case .unexpected(let value):
            return GeneralFailure(.operationFailed, "master \(master) gave an unexpected reply (\(value)) to the write of key \"\(RDBEntry.display(keys.first ?? []))\"; the keys restored so far stay; check the master and restore again with --replace")
        }
    }

    /// One line for an error reply, naming the key and the master.
    static func failure(_ error: RedisError, key: [UInt8], master: String) -> GeneralFailure {
        let name = RDBEntry.display(key)
        let text = error.serverMessage ?? error.message
        switch error.kind {
        case .busyKey:
            return GeneralFailure(.operationFailed, "key \"\(name)\" already exists on master \(master) (written after the restore started); the keys restored so far stay; restore again with --replace to overwrite")
        case .moved(let slot, let target):
            return GeneralFailure(.operationFailed, "slot \(slot) of key \"\(name)\" moved from \(master) to \(target) during the restore; wait for the cluster to settle and restore again with --replace")
        default:
            if text.contains("payload version or checksum") {
                return GeneralFailure(.cannotRun, "master \(master) refused the payload of key \"\(name)\" (\(text)): its Redis cannot read this RDB version; restore into a Redis at least as new as the one backed up")
            }
            return GeneralFailure(.operationFailed, "writing key \"\(name)\" failed on master \(master): \(text)")
        }
    }
}
