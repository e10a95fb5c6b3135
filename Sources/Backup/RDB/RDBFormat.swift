/// Opcodes and value types of the RDB format (Redis rdb.h), versions 1 to 11.
enum RDBFormat {
    /// Newest format this reader knows: Redis 7.2.
    static let newestVersion = 11

    enum Opcode {
        static let function2: UInt8 = 0xF5
        static let functionPreGA: UInt8 = 0xF6
        static let moduleAux: UInt8 = 0xF7
        static let idle: UInt8 = 0xF8
        static let freq: UInt8 = 0xF9
        static let aux: UInt8 = 0xFA
        static let resizeDB: UInt8 = 0xFB
        static let expireTimeMs: UInt8 = 0xFC
        static let expireTime: UInt8 = 0xFD
        static let selectDB: UInt8 = 0xFE
        static let eof: UInt8 = 0xFF
    }

    enum ValueType {
        static let string: UInt8 = 0
        static let list: UInt8 = 1
        static let set: UInt8 = 2
        static let zset: UInt8 = 3
        static let hash: UInt8 = 4
        static let zset2: UInt8 = 5
        static let modulePreGA: UInt8 = 6
        static let module2: UInt8 = 7
        static let hashZipmap: UInt8 = 9
        static let listZiplist: UInt8 = 10
        static let setIntset: UInt8 = 11
        static let zsetZiplist: UInt8 = 12
        static let hashZiplist: UInt8 = 13
        static let listQuicklist: UInt8 = 14
        static let streamListpacks: UInt8 = 15
        static let hashListpack: UInt8 = 16
        static let zsetListpack: UInt8 = 17
        static let listQuicklist2: UInt8 = 18
        static let streamListpacks2: UInt8 = 19
        static let setListpack: UInt8 = 20
        static let streamListpacks3: UInt8 = 21
    }

    /// The RDB version that introduced a value type or opcode: in an older file it is corruption.
    static func minimumVersion(of type: UInt8) -> Int {
        switch type {
        case Opcode.function2, Opcode.functionPreGA: return 10
        case Opcode.moduleAux: return 9
        case Opcode.idle, Opcode.freq: return 9
        case Opcode.aux, Opcode.resizeDB: return 7
        case ValueType.setListpack, ValueType.streamListpacks3: return 11
        case ValueType.hashListpack, ValueType.zsetListpack, ValueType.listQuicklist2, ValueType.streamListpacks2: return 10
        case ValueType.streamListpacks: return 9
        case ValueType.module2: return 8
        default: return 1
        }
    }

    /// Redis's module type name from a module id: 9 characters of 6 bits each above a 10-bit version.
    static func moduleName(fromId id: UInt64) -> String {
        let charset = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var name = [Character](repeating: " ", count: 9)
        var bits = id >> 10
        for index in stride(from: 8, through: 0, by: -1) {
            name[index] = charset[Int(bits & 63)]
            bits >>= 6
        }
        return String(name)
    }
}
