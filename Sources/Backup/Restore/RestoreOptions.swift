/// How a restore writes: overwrite or refuse existing keys, and how much it keeps in flight.
public struct RestoreOptions: Sendable {
    /// Overwrite keys and function libraries that already exist (`RESTORE ... REPLACE`). When false,
    /// existing keys are looked for before anything is written and the restore refuses to start.
    public var replace: Bool
    /// RESTORE commands per pipelined batch to one master.
    public var pipelineDepth: Int
    /// Payload bytes per batch: a batch is sent when it reaches either limit.
    public var maxBatchBytes: Int
    /// Batches awaiting replies per master. Two keep the connection busy while a reply is read.
    public var batchesInFlightPerMaster: Int
    /// RDB files (shards of one backup) read and written at the same time, each by its own reader.
    public var filesInParallel: Int

    public init(replace: Bool = false, pipelineDepth: Int = 256, maxBatchBytes: Int = 4 << 20, batchesInFlightPerMaster: Int = 2,
                filesInParallel: Int = 2) {
        self.replace = replace
        self.pipelineDepth = max(1, pipelineDepth)
        self.maxBatchBytes = max(1, maxBatchBytes)
        self.batchesInFlightPerMaster = max(1, batchesInFlightPerMaster)
        self.filesInParallel = max(1, filesInParallel)
    }
}
