/// One Redis command a benchmark test sends, with redis-benchmark's test names.
public enum BenchOperation: String, CaseIterable, Sendable, Codable {
    case ping, set, get, incr, lpush, rpush, lpop, rpop, sadd, hset, spop, zadd, mset

    /// The name in reports and CSV rows (redis-benchmark's, so CSV tools read both).
    public var reportName: String {
        switch self {
        case .ping: "PING_MBULK"
        case .mset: "MSET (10 keys)"
        default: rawValue.uppercased()
        }
    }

    /// What a correct reply looks like; anything else counts as an error of its kind.
    var expectedReply: ExpectedReply {
        switch self {
        case .ping: .pong
        case .set, .mset: .ok
        case .get: .storedValue
        case .incr, .lpush, .rpush, .sadd, .hset, .zadd: .integer
        case .lpop, .rpop, .spop: .bulkOrNil
        }
    }

    /// Keys MSET writes per request, all under one hash tag so they share a slot.
    static let msetKeyCount = 10
}

/// The reply shapes the workload's commands have.
enum ExpectedReply: UInt8 {
    case ok, pong, integer, bulkOrNil
    /// GET: a bulk string equal to what SET writes for that key, or nil (a miss).
    case storedValue
}

/// What a benchmark runs: one operation per test, or a SET:GET mix.
public enum BenchTest: Sendable, Equatable, Codable {
    case single(BenchOperation)
    /// `sets` SETs for every `gets` GETs, interleaved in a fixed cycle.
    case mixed(sets: Int, gets: Int)

    public var name: String {
        switch self {
        case .single(let operation): operation.reportName
        case .mixed(let sets, let gets): "SET:GET \(sets):\(gets)"
        }
    }

    /// The operation of the `index`-th request of a client.
    @inline(__always)
    func operation(at index: Int) -> BenchOperation {
        switch self {
        case .single(let operation): return operation
        case .mixed(let sets, let gets): return index % (sets + gets) < sets ? .set : .get
        }
    }
}

extension BenchOperation {
    /// A dense index, for arrays of per-operation data on the hot path.
    @inline(__always)
    var index: Int {
        switch self {
        case .ping: 0
        case .set: 1
        case .get: 2
        case .incr: 3
        case .lpush: 4
        case .rpush: 5
        case .lpop: 6
        case .rpop: 7
        case .sadd: 8
        case .hset: 9
        case .spop: 10
        case .zadd: 11
        case .mset: 12
        }
    }
}
