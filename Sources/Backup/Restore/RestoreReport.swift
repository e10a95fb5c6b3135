/// What a restore did, for `-o json` and for comparing key counts with a backup's manifest.
public struct RestoreReport: Codable, Sendable, Equatable {
    /// One RDB file's share.
    public struct FileReport: Codable, Sendable, Equatable {
        public var path: String
        public var rdbVersion: Int
        /// Keys in the file: restored plus skipped as expired.
        public var keysRead: Int
        public var keysRestored: Int
        public var keysExpiredSkipped: Int
        public var bytes: Int64
    }

    public var keysRestored: Int
    /// Keys whose absolute expiry had passed: not written.
    public var keysExpiredSkipped: Int
    /// Function libraries loaded (each on every master).
    public var functionsLoaded: Int
    public var bytesRead: Int64
    /// Keys written per master, by `host:port` (a JSON encoder with `.sortedKeys` sorts them).
    public var keysPerMaster: [String: Int]
    /// Whether existing keys were looked for before writing (not needed with replace or an empty cluster).
    public var checkedForExistingKeys: Bool
    public var files: [FileReport]
    public var elapsedSeconds: Double
}
