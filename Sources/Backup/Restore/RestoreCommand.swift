import NIOCore
import RESP

/// Builds `RESTORE key ttl payload [ABSTTL] [REPLACE] [IDLETIME s | FREQ f]` for one RDB entry.
public enum RestoreCommand {
    /// Whether the entry's absolute expiry has passed at `nowMs` (such keys are not written).
    public static func isExpired(_ entry: RDBEntry, nowMs: Int64) -> Bool {
        guard let expiresAt = entry.expiresAtMs else { return false }
        return expiresAt <= nowMs
    }

    public static func make(_ entry: RDBEntry, replace: Bool) -> RedisCommand {
        var parts: [ByteBuffer] = [Words.restore, ByteBuffer(bytes: entry.key)]
        parts.reserveCapacity(8)
        if let expiresAt = entry.expiresAtMs {
            parts += [ByteBuffer(string: String(expiresAt)), ByteBuffer(bytes: entry.dumpPayload), Words.absTTL]
        } else {
            parts += [Words.zero, ByteBuffer(bytes: entry.dumpPayload)]
        }
        if replace { parts.append(Words.replace) }
        // Redis accepts one of the two; an RDB holds the one its maxmemory policy keeps.
        if let idle = entry.idleSeconds {
            parts += [Words.idleTime, ByteBuffer(string: String(idle))]
        } else if let frequency = entry.frequency {
            parts += [Words.freq, ByteBuffer(string: String(frequency))]
        }
        return RedisCommand(parts)
    }

    /// The fixed words, built once (buffers are copy-on-write, so sharing them is free).
    private enum Words {
        static let restore = ByteBuffer(string: "RESTORE")
        static let zero = ByteBuffer(string: "0")
        static let absTTL = ByteBuffer(string: "ABSTTL")
        static let replace = ByteBuffer(string: "REPLACE")
        static let idleTime = ByteBuffer(string: "IDLETIME")
        static let freq = ByteBuffer(string: "FREQ")
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
