/// Which keys of an RDB a restore writes at all.
public enum RestoreCommand {
    /// Whether the entry's absolute expiry has passed at `nowMs` (such keys are not written).
    public static func isExpired(_ entry: RDBEntry, nowMs: Int64) -> Bool {
        isExpired(expiresAtMs: entry.expiresAtMs, nowMs: nowMs)
    }

    public static func isExpired(expiresAtMs: Int64?, nowMs: Int64) -> Bool {
        guard let expiresAtMs else { return false }
        return expiresAtMs <= nowMs
    }
}

/// Which RDB versions a Redis release reads: a payload newer than that is refused by RESTORE.
public enum RedisRDBSupport {
    /// The newest RDB version `redis_version` (from INFO server) reads; nil when unknown (assumed new enough).
    public static func newestReadableVersion(redisVersion: String) -> Int? {
        let numbers = redisVersion.split(separator: ".").compactMap { Int($0) }
        guard numbers.count >= 2 else { return nil }
        switch (numbers[0], numbers[1]) {
        case (..<2, _): return nil
        case (2, _): return 6
        case (3, _): return 7
        case (4, _): return 8
        case (5, _), (6, _): return 9
        case (7, 0), (7, 1): return 10
        case (7, 2), (7, 3): return 11
        default: return nil  // 7.4 and newer read at least RDB 12.
        }
    }

    /// The Redis release that introduced an RDB version, for messages.
    public static func release(introducing rdbVersion: Int) -> String {
        switch rdbVersion {
        case ...6: return "2.6"
        case 7: return "3.2"
        case 8: return "4.0"
        case 9: return "5.0"
        case 10: return "7.0"
        case 11: return "7.2"
        default: return "7.4"
        }
    }
}
