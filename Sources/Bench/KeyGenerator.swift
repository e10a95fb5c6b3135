import Foundation

/// A fast, seedable generator (xoshiro256**); each client owns one, so no state is shared.
struct FastRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var state = seed
        func splitMix() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in 0..<bound (multiply-high; the bias is below 2^-40 for any keyspace here).
    @inline(__always)
    mutating func next(below bound: UInt64) -> UInt64 {
        next().multipliedFullWidth(by: bound).high
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// Zipfian over 0..<n with theta 0.99, Gray et al.'s method as YCSB's ZipfianGenerator.
struct ZipfDistribution: Sendable {
    let n: Double
    let theta: Double
    let alpha: Double
    let zetaN: Double
    let eta: Double
    let zeta2: Double

    init(count: UInt64, theta: Double = 0.99) {
        n = Double(count)
        self.theta = theta
        alpha = 1 / (1 - theta)
        zeta2 = Self.zeta(2, theta)
        zetaN = Self.zeta(count, theta)
        eta = (1 - Self.power(2 / n, 1 - theta)) / (1 - zeta2 / zetaN)
    }

    /// Sum of 1/i^theta for i in 1...n: exact up to a million terms, then the integral's tail.
    static func zeta(_ count: UInt64, _ theta: Double) -> Double {
        let exactTerms = min(count, 1_000_000)
        var sum = 0.0
        var i: UInt64 = 1
        while i <= exactTerms {
            sum += 1 / power(Double(i), theta)
            i += 1
        }
        if count > exactTerms {
            // Integral of x^-theta from exactTerms+0.5 to count+0.5.
            let a = Double(exactTerms) + 0.5, b = Double(count) + 0.5
            sum += (power(b, 1 - theta) - power(a, 1 - theta)) / (1 - theta)
        }
        return sum
    }

    static func power(_ base: Double, _ exponent: Double) -> Double { pow(base, exponent) }

    @inline(__always)
    func sample(_ unit: Double) -> UInt64 {
        let uz = unit * zetaN
        if uz < 1 { return 0 }
        if uz < 1 + Self.power(0.5, theta) { return 1 }
        let value = UInt64(n * Self.power(eta * unit - eta + 1, alpha))
        return min(value, UInt64(n) - 1)
    }
}

/// Picks key numbers for one client.
struct KeyGenerator {
    enum Source {
        /// No keyspace: this client's own key, always.
        case fixed(UInt64)
        case uniform(UInt64)
        case sequential(next: UInt64, stride: UInt64, count: UInt64)
        case zipf(ZipfDistribution)
    }

    var source: Source
    var random: FastRandom
    /// Bound for set members and hash fields; their own key of the client when there is no keyspace.
    let elementBound: UInt64?
    let clientKey: UInt64

    init(settings: BenchmarkSettings, clientIndex: Int, zipf: ZipfDistribution?, seed: UInt64) {
        clientKey = UInt64(clientIndex)
        random = FastRandom(seed: seed ^ (UInt64(clientIndex) &* 0x9E37_79B9_7F4A_7C15))
        if let keyspace = settings.keyspace {
            let count = UInt64(keyspace)
            elementBound = count
            switch settings.keyPattern {
            case .uniform: source = .uniform(count)
            case .sequential:
                source = .sequential(next: UInt64(clientIndex) % count, stride: UInt64(settings.clients), count: count)
            case .zipf: source = zipf.map { .zipf($0) } ?? .uniform(count)
            }
        } else {
            elementBound = nil
            source = .fixed(UInt64(clientIndex))
        }
    }

    /// Without a keyspace: this client's key for a test, on its `master` (see `ClientPlacement`):
    /// the first number congruent to the client's index modulo `clients` whose slot that master
    /// owns, so no two clients share a key; the client's own index when it is bound to no master or
    /// no such number comes up soon.
    static func balancedFixedKey(client: Int, clients: Int, master: Int?, masterOf: (KeyDigits) -> Int) -> UInt64 {
        guard let master else { return UInt64(client) }
        var candidate = UInt64(client)
        for _ in 0..<256 {
            if masterOf(KeyDigits(candidate)) == master { return candidate }
            candidate += UInt64(max(clients, 1))
        }
        return UInt64(client)
    }

    /// Whether every client sends to one master only (client `i` to master `i % masters`), as with
    /// redis-benchmark --cluster: with a fixed key per client, or uniform keys (re-drawn until one
    /// lands on the client's master, which leaves the distribution uniform). Sequential and zipf
    /// keys keep their order and skew, so their clients send anywhere.
    static func bindsClientsToMasters(_ settings: BenchmarkSettings) -> Bool {
        settings.keyspace == nil || settings.keyPattern == .uniform
    }

    /// Whether the next key may be re-drawn (to keep a pipeline batch on one master) without
    /// changing the key distribution: true for random draws, false for fixed and sequential keys.
    var isRandom: Bool {
        switch source {
        case .uniform, .zipf: true
        case .fixed, .sequential: false
        }
    }

    @inline(__always)
    mutating func nextKey() -> UInt64 {
        switch source {
        case .fixed(let key):
            return key
        case .uniform(let count):
            return random.next(below: count)
        case .sequential(let next, let stride, let count):
            var following = next &+ stride
            if following >= count { following %= count }
            source = .sequential(next: following, stride: stride, count: count)
            return next
        case .zipf(let distribution):
            return distribution.sample(random.nextUnit())
        }
    }

    @inline(__always)
    mutating func nextElement() -> UInt64 {
        guard let elementBound else { return clientKey }
        return random.next(below: elementBound)
    }
}
