/// How a restore writes: overwrite or refuse existing keys, which command carries each key, and
/// how much it keeps in flight.
public struct RestoreOptions: Sendable {
    /// Overwrite keys and function libraries that already exist (`RESTORE ... REPLACE`, `MSET`).
    /// When false, existing keys are looked for before anything is written and the restore refuses
    /// to start; a key written meanwhile is refused by the write itself (`MSETNX`, `SET NX`, `RESTORE`).
    public var replace: Bool
    /// Send every key as `RESTORE` with its LRU idle time or LFU counter from the backup. Otherwise
    /// strings go as `MSET`/`SET`, which the server applies faster, and start with fresh access stats.
    public var keepAccessStats: Bool
    /// Commands per pipelined batch to one master.
    public var pipelineDepth: Int
    /// Bytes per batch: a batch is sent when it reaches either limit.
    public var maxBatchBytes: Int
    /// Batches awaiting replies per master. Two keep the connection busy while a reply is read.
    public var batchesInFlightPerMaster: Int
    /// RDB files (shards of one backup) read and written at the same time, each by its own reader.
    /// Into a cluster of the backup's shape each file feeds one master, so all of them at once
    /// keeps every master busy.
    public var filesInParallel: Int
    /// Strings of one slot written by one `MSET`.
    public var keysPerGroup: Int
    /// Bytes of strings held back in slot groups, per file, before every group is written.
    public var maxGroupedBytes: Int

    public init(replace: Bool = false, keepAccessStats: Bool = false, pipelineDepth: Int = 256, maxBatchBytes: Int = 512 << 10,
                batchesInFlightPerMaster: Int = 2, filesInParallel: Int = 4, keysPerGroup: Int = 64, maxGroupedBytes: Int = 16 << 20) {
        self.replace = replace
        self.keepAccessStats = keepAccessStats
        self.pipelineDepth = max(1, pipelineDepth)
        self.maxBatchBytes = max(1, maxBatchBytes)
        self.batchesInFlightPerMaster = max(1, batchesInFlightPerMaster)
        self.filesInParallel = max(1, filesInParallel)
        self.keysPerGroup = max(1, keysPerGroup)
        self.maxGroupedBytes = max(1, maxGroupedBytes)
    }
}
