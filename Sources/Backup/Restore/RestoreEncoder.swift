import NIOCore
import RESP

/// What one encoded command writes, and where it starts in its batch (to name its keys when the
/// server refuses it).
struct RestoreWrite: Sendable, Equatable {
    enum Kind: UInt8, Sendable {
        /// `RESTORE key ttl payload ABSTTL [REPLACE] [IDLETIME s | FREQ f]`: replies +OK.
        case restore
        /// `SET key value PXAT ms [NX]`, a string with an expiry: replies +OK, or nil when NX found the key.
        case setWithExpiry
        /// `MSET k v k v ...`, strings of one slot (with replace): replies +OK.
        case mset
        /// `MSETNX k v k v ...`, strings of one slot: replies 1, or 0 when one of the keys exists.
        case msetnx
    }

    var kind: Kind
    var keys: Int
    var offset: Int

    /// The command's name, for messages.
    var commandName: String {
        switch kind {
        case .restore: "RESTORE"
        case .setWithExpiry: "SET"
        case .mset: "MSET"
        case .msetnx: "MSETNX"
        }
    }
}

/// One master's share of a restore, encoded as RESP, ready for one pipelined write.
struct EncodedBatch: Sendable {
    var master: Int
    var bytes: ByteBuffer
    var writes: [RestoreWrite]
    var keys: Int
}

/// Turns RDB entries into the commands that write them, per master, encoded once into the bytes
/// that go on the wire (no command object per key; see `RESPBytes`).
///
/// Plain strings without expiry are grouped by slot and written with one `MSETNX` (or `MSET` with
/// replace) per group: the server applies one command of many keys far more cheaply than one
/// command per key, and keys of one slot may share a command in a cluster. Strings with an expiry
/// go as `SET … PXAT`; every other value as `RESTORE` with the RDB's own bytes as its payload.
/// With `keepAccessStats`, entries carry payloads and every key goes as `RESTORE` with its LRU idle
/// time or LFU counter (the reader then decodes no strings).
///
/// Memory is bounded: a slot's group is written at `keysPerGroup` keys or 32 KB, and all groups
/// are written whenever together they hold `maxGroupedBytes`. A value type: its owner works on it
/// as a local variable, which spares the per-access checks a class's properties would cost per key.
struct RestoreEncoder: Sendable {
    private let router: SlotRouter
    private let options: RestoreOptions
    private var batches: [RESPBytes]
    private var batchWrites: [[RestoreWrite]]
    private var batchKeys: [Int]
    private var groups: [RESPBytes]
    private var groupKeys: [Int]
    /// Slots holding a group, each listed once until the next `flushGroups`.
    private var groupedSlots: [Int] = []
    private var isListed: [Bool]
    private var groupedBytes = 0
    private var sealed: [EncodedBatch] = []
    /// Bytes of the batches sealed and not yet taken.
    private(set) var sealedBytes = 0
    private static let groupBytesLimit = 32 << 10

    /// With access stats kept every key goes as RESTORE, so strings need their payloads.
    var keepsAccessStats: Bool { options.keepAccessStats }

    init(router: SlotRouter, options: RestoreOptions) {
        self.router = router
        self.options = options
        batches = Array(repeating: RESPBytes(), count: router.masters.count)
        batchWrites = Array(repeating: [], count: router.masters.count)
        batchKeys = Array(repeating: 0, count: router.masters.count)
        groups = Array(repeating: RESPBytes(), count: KeySlot.count)
        groupKeys = Array(repeating: 0, count: KeySlot.count)
        isListed = Array(repeating: false, count: KeySlot.count)
    }

    /// Encodes one entry (the caller has skipped expired keys and checked the database).
    mutating func add(_ entry: RDBEntry) {
        if let value = entry.stringValue {
            entry.key.withUnsafeBufferPointer { key in
                value.withUnsafeBufferPointer { value in addString(key: key, value: value, expiresAtMs: entry.expiresAtMs) }
            }
            return
        }
        let master = router.masterIndex(forKey: entry.key)
        let accessPart = options.keepAccessStats ? (entry.idleSeconds != nil || entry.frequency != nil ? 2 : 0) : 0
        let offset = startCommand(master, parts: 4 + (entry.expiresAtMs != nil ? 1 : 0) + (options.replace ? 1 : 0) + accessPart)
        batches[master].appendBulk("RESTORE")
        batches[master].appendBulk(entry.key)
        batches[master].appendBulk(decimal: entry.expiresAtMs ?? 0)
        batches[master].appendBulk(entry.dumpPayload)
        if entry.expiresAtMs != nil { batches[master].appendBulk("ABSTTL") }
        if options.replace { batches[master].appendBulk("REPLACE") }
        // Redis accepts one of the two; an RDB holds the one its maxmemory policy keeps.
        if accessPart > 0 {
            if let idle = entry.idleSeconds {
                batches[master].appendBulk("IDLETIME")
                batches[master].appendBulk(decimal: Int64(clamping: idle))
            } else if let frequency = entry.frequency {
                batches[master].appendBulk("FREQ")
                batches[master].appendBulk(decimal: Int64(frequency))
            }
        }
        endCommand(master, RestoreWrite(kind: .restore, keys: 1, offset: offset))
    }

    /// Encodes one string key given as views into memory the caller holds (copied before returning).
    mutating func addString(key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, expiresAtMs: Int64?) {
        let slot = KeySlot.slot(in: key)
        guard let expiresAt = expiresAtMs else { return group(key, value, slot: slot) }
        let master = router.masterIndex(ofSlot: slot)
        let offset = startCommand(master, parts: options.replace ? 5 : 6)
        batches[master].appendBulk("SET")
        batches[master].appendBulk(key)
        batches[master].appendBulk(value)
        batches[master].appendBulk("PXAT")
        batches[master].appendBulk(decimal: expiresAt)
        if !options.replace { batches[master].appendBulk("NX") }
        endCommand(master, RestoreWrite(kind: .setWithExpiry, keys: 1, offset: offset))
    }

    /// Writes every group and seals every batch: the end of a file.
    mutating func finish() {
        flushGroups()
        for master in batches.indices { seal(master) }
    }

    /// The batches sealed since the last call.
    mutating func takeSealed() -> [EncodedBatch] {
        defer {
            sealed.removeAll(keepingCapacity: true)
            sealedBytes = 0
        }
        return sealed
    }

    // MARK: Slot groups

    private mutating func group(_ key: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, slot: Int) {
        if !isListed[slot] {
            isListed[slot] = true
            groupedSlots.append(slot)
        }
        // Worked on outside the array: one access instead of one per append.
        var group = RESPBytes()
        swap(&group, &groups[slot])
        let before = group.count
        group.appendBulk(key)
        group.appendBulk(value)
        groupedBytes += group.count - before
        let full = group.count >= Self.groupBytesLimit
        swap(&group, &groups[slot])
        groupKeys[slot] += 1
        if groupKeys[slot] >= options.keysPerGroup || full { writeGroup(slot) }
        if groupedBytes >= options.maxGroupedBytes { flushGroups() }
    }

    private mutating func writeGroup(_ slot: Int) {
        let keys = groupKeys[slot]
        guard keys > 0 else { return }
        let master = router.masterIndex(ofSlot: slot)
        let offset = startCommand(master, parts: 1 + 2 * keys)
        batches[master].appendBulk(options.replace ? "MSET" : "MSETNX")
        batches[master].append(groups[slot])
        endCommand(master, RestoreWrite(kind: options.replace ? .mset : .msetnx, keys: keys, offset: offset))
        groupedBytes -= groups[slot].count
        groups[slot].removeAll()
        groupKeys[slot] = 0
    }

    private mutating func flushGroups() {
        for slot in groupedSlots {
            writeGroup(slot)
            isListed[slot] = false
        }
        groupedSlots.removeAll(keepingCapacity: true)
        groupedBytes = 0
    }

    // MARK: Batches

    private mutating func startCommand(_ master: Int, parts: Int) -> Int {
        let offset = batches[master].count
        batches[master].appendArrayHeader(parts)
        return offset
    }

    private mutating func endCommand(_ master: Int, _ write: RestoreWrite) {
        batchWrites[master].append(write)
        batchKeys[master] += write.keys
        if batchWrites[master].count >= options.pipelineDepth || batches[master].count >= options.maxBatchBytes {
            seal(master)
        }
    }

    private mutating func seal(_ master: Int) {
        guard !batchWrites[master].isEmpty else { return }
        sealed.append(EncodedBatch(master: master, bytes: batches[master].byteBuffer(), writes: batchWrites[master], keys: batchKeys[master]))
        sealedBytes += batches[master].count
        batches[master].removeAll()
        batchWrites[master].removeAll(keepingCapacity: true)
        batchKeys[master] = 0
    }
}
