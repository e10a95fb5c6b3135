import Foundation
import NIOCore
import RESP
import RedisCtlCore
import TestSupport

/// Fills a server with every data type in several encodings, for the reader and restore tests.
enum RDBTestData {
    /// Server settings that make every encoding appear: compressed inner quicklist nodes, and
    /// small listpack limits so the "large" collections are hashtables and skiplists.
    static let serverConfig = [
        "list-compress-depth 1",
        "list-max-listpack-size 16",
        "hash-max-listpack-entries 64",
        "zset-max-listpack-entries 64",
        "set-max-intset-entries 256",
        "rdbcompression yes",
    ]

    static let libraryCode = """
    #!lua name=rdblib
    redis.register_function('rdb_echo', function(keys, args) return args[1] end)
    """

    /// A 20 MB value of pseudo-random bytes (not compressible, so it is stored raw).
    static let bigValue: [UInt8] = {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        var words = [UInt64](repeating: 0, count: (20 << 20) / 8)
        for index in words.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            words[index] = state
        }
        return words.withUnsafeBytes { Array($0) }
    }()

    static func command(_ parts: String...) -> RedisCommand { RedisCommand(parts[0], Array(parts.dropFirst())) }

    /// Writes the data set; `smallKeys` plain strings spread the keys over every slot.
    /// Returns the keys that expire within `shortTTL` (expired by the time a restore runs).
    @discardableResult
    static func fill(_ connection: RedisConnection, smallKeys: Int = 2000, shortTTLms: Int = 1500) async throws -> [String] {
        var commands: [RedisCommand] = [
            command("SET", "str:small", "hello"),
            command("SET", "str:int", "12345"),
            command("SET", "str:negint", "-42"),
            command("SET", "str:int16", "-30000"),
            command("SET", "str:int32", "2000000000"),
            command("SET", "str:bigint", "12345678901234"),
            command("SET", "str:lzf", String(repeating: "abcdefgh", count: 500)),
            command("SET", "7777", "an integer-encoded key"),
            command("SET", String(repeating: "long-compressible-key-", count: 10), "an LZF-compressed key"),
            command("SET", "{user1}:name", "ada"),
            command("SET", "{user1}:mail", "ada@example.com"),
            command("SET", "ttl:hour", "x", "EX", "3600"),
            command("SET", "ttl:ms", "y", "PX", "7200000"),
            command("SADD", "set:intset", "1", "2", "3", "-7", "100000"),
            command("SADD", "set:strings", "a", "b", "c"),
            command("HSET", "hash:small", "f1", "v1", "f2", "2", "f3", "3.5"),
            command("HSET", "hash:longvalue", "f", String(repeating: "z", count: 200)),
            command("ZADD", "zset:small", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d"),
            command("RPUSH", "list:small", "a", "b", "c", "1", "2"),
            command("FUNCTION", "LOAD", "REPLACE", libraryCode),
            command("PEXPIRE", "hash:small", "86400000"),
        ]
        commands.append(command("SADD", ["set:bigintset"] + (0..<200).map { String($0 * 3) }))
        commands.append(command("SADD", ["set:large"] + (0..<1000).map { "member-\($0)" }))
        commands.append(command("HSET", ["hash:large"] + (0..<1000).flatMap { ["field-\($0)", "value-\($0)"] }))
        commands.append(command("ZADD", ["zset:large"] + (0..<500).flatMap { [String(Double($0) * 1.25), "m\($0)"] }))
        commands.append(command("RPUSH", ["list:large"] + (0..<3000).map { "element-\($0)-" + String(repeating: "q", count: $0 % 90) }))
        // A stream with a deleted entry, two groups, pending entries and two consumers.
        for index in 0..<300 {
            commands.append(command("XADD", "stream:events", "*", "n", String(index), "payload", String(repeating: "p", count: index % 40)))
        }
        commands.append(command("XGROUP", "CREATE", "stream:events", "g1", "0"))
        commands.append(command("XGROUP", "CREATE", "stream:events", "g2", "$"))
        commands.append(command("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "20", "STREAMS", "stream:events", ">"))
        commands.append(command("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", "stream:events", ">"))
        commands.append(command("XADD", "stream:small", "1-1", "a", "1"))
        for index in 0..<smallKeys {
            commands.append(command("SET", "k:\(index)", "value-\(index)"))
        }
        for result in try await connection.pipeline(commands) {
            if case .failure(let error) = result { throw error }
        }
        // The pending entries of g1 (XACK two, XDEL one) and the big value.
        let firstIds = try await connection.send(command("XRANGE", "stream:events", "-", "+", "COUNT", "3")).array ?? []
        let ids = firstIds.compactMap { $0.array?.first?.string }
        if ids.count == 3 {
            _ = try await connection.send(command("XACK", "stream:events", "g1", ids[0], ids[1]))
            _ = try await connection.send(command("XDEL", "stream:events", ids[2]))
        }
        _ = try await connection.send(RedisCommand(bytes: [Array("SET".utf8), Array("str:big".utf8), bigValue]))
        // Last, so they are still there when the caller saves right after.
        var shortLived: [String] = []
        for index in 0..<5 {
            shortLived.append("ttl:short:\(index)")
            _ = try await connection.send(command("SET", "ttl:short:\(index)", "gone soon", "PX", String(shortTTLms)))
        }
        return shortLived
    }

    /// SAVE, then the path of the server's dump.rdb.
    static func save(_ server: RedisServerProcess, _ connection: RedisConnection) async throws -> String {
        _ = try await connection.send("SAVE")
        return server.directory.appendingPathComponent("dump.rdb").path
    }

    /// Every key of a server, via SCAN.
    static func keys(_ connection: RedisConnection) async throws -> [[UInt8]] {
        var cursor = "0"
        var keys: [[UInt8]] = []
        repeat {
            let reply = try await connection.send(command("SCAN", cursor, "COUNT", "1000"))
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string else { break }
            cursor = next
            keys += (parts[1].array ?? []).compactMap { $0.bytes.map { Array(buffer: $0) } }
        } while cursor != "0"
        return keys
    }

    static func dump(_ connection: RedisConnection, _ key: [UInt8]) async throws -> [UInt8]? {
        let reply = try await connection.send(RedisCommand(bytes: [Array("DUMP".utf8), key]))
        return reply.bytes.map { Array(buffer: $0) }
    }

    /// DUMP and PEXPIRETIME of many keys, pipelined.
    static func dumpsAndExpiries(_ connection: RedisConnection, _ keys: [[UInt8]]) async throws -> [[UInt8]: (dump: [UInt8]?, expiry: Int64?)] {
        var commands: [RedisCommand] = []
        for key in keys {
            commands.append(RedisCommand(bytes: [Array("DUMP".utf8), key]))
            commands.append(RedisCommand(bytes: [Array("PEXPIRETIME".utf8), key]))
        }
        let replies = try await connection.pipeline(commands).map { try $0.get() }
        var result: [[UInt8]: (dump: [UInt8]?, expiry: Int64?)] = [:]
        for (index, key) in keys.enumerated() {
            result[key] = (replies[2 * index].bytes.map { Array(buffer: $0) }, replies[2 * index + 1].int)
        }
        return result
    }

    static func pexpireTime(_ connection: RedisConnection, _ key: [UInt8]) async throws -> Int64? {
        try await connection.send(RedisCommand(bytes: [Array("PEXPIRETIME".utf8), key])).int
    }
}

extension RDBTestData {
    /// A key's content in a form that does not depend on encoding or hash table order, for values
    /// whose DUMP legitimately differs between servers (hashtable sets and hashes iterate in
    /// per-process hash order).
    static func content(_ connection: RedisConnection, _ key: [UInt8]) async throws -> String {
        func ask(_ parts: String...) async throws -> RESPValue {
            try await connection.send(RedisCommand(bytes: [Array(parts[0].utf8), key] + parts.dropFirst().map { Array($0.utf8) }))
        }
        func strings(_ value: RESPValue) -> [String] { (value.array ?? []).map { $0.string ?? "\($0)" } }
        let type = try await ask("TYPE").string ?? "none"
        switch type {
        case "string": return "string:" + (try await ask("GET").string ?? "")
        case "list": return "list:" + strings(try await ask("LRANGE", "0", "-1")).joined(separator: ",")
        case "set": return "set:" + strings(try await ask("SMEMBERS")).sorted().joined(separator: ",")
        case "zset": return "zset:" + strings(try await ask("ZRANGE", "0", "-1", "WITHSCORES")).joined(separator: ",")
        case "hash":
            let flat = strings(try await ask("HGETALL"))
            let pairs = stride(from: 0, to: flat.count - 1, by: 2).map { flat[$0] + "=" + flat[$0 + 1] }
            return "hash:" + pairs.sorted().joined(separator: ",")
        default: return type + ":" + "\(try await ask("DUMP"))"
        }
    }

    static func command(_ name: String, _ arguments: [String]) -> RedisCommand { RedisCommand(name, arguments) }
}
