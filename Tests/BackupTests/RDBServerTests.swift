import Backup
import Foundation
import NIOCore
import RESP
import RedisCtlCore
import Testing
import TestSupport

/// The reader against dump.rdb files written by a real Redis 7.0: every key's payload must be
/// byte for byte what `DUMP key` returns, and expiries, LRU/LFU data and functions must match.
@Suite struct RDBServerTests {
    @Test(arguments: ["allkeys-lru", "allkeys-lfu"])
    func everyPayloadEqualsDump(policy: String) async throws {
        let server = try await RedisServerProcess.start(extraConfig: RDBTestData.serverConfig + ["maxmemory-policy \(policy)"])
        defer { server.stop() }
        let connection = try await server.connect()
        defer { Task { await connection.close() } }
        try await RDBTestData.fill(connection, smallKeys: 500, shortTTLms: 3_600_000)
        let path = try await RDBTestData.save(server, connection)

        let reader = try RDBFileReader(path: path)
        #expect(reader.header.rdbVersion == 10)
        #expect(reader.header.aux("redis-ver")?.hasPrefix("7.0") == true)
        #expect(reader.header.aux("ctime") != nil)

        var seen: Set<[UInt8]> = []
        var functions: [RDBFunction] = []
        var types: Set<UInt8> = []
        while let item = try reader.next() {
            switch item {
            case .function(let function):
                functions.append(function)
            case .entry(let entry):
                #expect(entry.database == 0)
                seen.insert(entry.key)
                types.insert(entry.valueType)
                let dumped = try await RDBTestData.dump(connection, entry.key)
                #expect(dumped == entry.dumpPayload, "payload of \(entry.displayKey) (type \(entry.valueType)) differs from DUMP")
                let expiry = try await RDBTestData.pexpireTime(connection, entry.key)
                #expect(entry.expiresAtMs == (expiry == -1 ? nil : expiry), "expiry of \(entry.displayKey)")
                if policy == "allkeys-lru" {
                    #expect(entry.idleSeconds != nil && entry.frequency == nil)
                } else {
                    #expect(entry.frequency != nil && entry.idleSeconds == nil)
                }
            }
        }
        #expect(reader.bytesRead == reader.totalBytes)
        let keys = Set(try await RDBTestData.keys(connection))
        #expect(seen == keys)
        #expect(seen.count == 500 + 32)
        // Strings, sets (hashtable, intset), hashes, zsets and lists in both encodings, streams.
        #expect(types == [0, 2, 4, 5, 11, 16, 17, 18, 19])
        #expect(functions.map(\.libraryName) == ["rdblib"])
        #expect(functions.first.map { String(decoding: $0.code, as: UTF8.self) } == RDBTestData.libraryCode)

        let count = try RDBFileReader.countKeys(path: path)
        #expect(count.keys == seen.count)
        #expect(count.functions == 1)
        #expect(count.keysWithExpiry == 8)
        #expect(count.bytes == reader.totalBytes)
    }
}
