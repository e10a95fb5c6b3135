import Foundation
import Platforms
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#endif

/// A /24 of loopback addresses for one local cluster: pod N listens on `127.A.B.(N+1)`.
public struct LoopbackSubnet: Sendable, Equatable, Codable, CustomStringConvertible {
    public var second: Int
    public var third: Int

    public init(second: Int, third: Int) {
        self.second = second
        self.third = third
    }

    public var description: String { "127.\(second).\(third).0/24" }

    public func address(ordinal: Int) -> String { "127.\(second).\(third).\(ordinal + 1)" }

    /// Pods that fit in one /24 (.1 to .254).
    public static let capacity = 254
}

/// Picks a free loopback /24 and claims it machine-wide, so clusters of different state dirs (and
/// tests running in parallel) never share addresses.
enum LoopbackSubnetAllocator {
    /// First free subnet from `start` on (127.0.1.0/24 by default), claimed for `owner` (a state path).
    /// Claims live in `claimRoot` as directories; `mkdir` is atomic, so two processes cannot claim one subnet.
    static func claim(owner: String, start: LoopbackSubnet, claimRoot: String) throws -> LoopbackSubnet {
        try FileManager.default.createDirectory(atPath: claimRoot, withIntermediateDirectories: true)
        var candidate = start
        for _ in 0..<(250 * 256) {
            if tryClaim(candidate, owner: owner, claimRoot: claimRoot) { return candidate }
            candidate = next(after: candidate)
        }
        throw GeneralFailure(.cannotRun, "no free loopback /24 left for a local cluster (claims in \(claimRoot))")
    }

    /// Gives the subnet back (on destroy with --delete-data).
    static func release(_ subnet: LoopbackSubnet, owner: String, claimRoot: String) {
        let path = claimPath(subnet, claimRoot: claimRoot)
        if claimOwner(path) == owner { try? FileManager.default.removeItem(atPath: path) }
    }

    private static func next(after subnet: LoopbackSubnet) -> LoopbackSubnet {
        var third = subnet.third + 1
        var second = subnet.second
        if third > 255 {
            third = 0
            second = second >= 254 ? 1 : second + 1
        }
        return LoopbackSubnet(second: second, third: third)
    }

    private static func claimPath(_ subnet: LoopbackSubnet, claimRoot: String) -> String {
        "\(claimRoot)/127.\(subnet.second).\(subnet.third)"
    }

    private static func claimOwner(_ path: String) -> String? {
        try? String(contentsOfFile: path + "/owner", encoding: .utf8)
    }

    private static func tryClaim(_ subnet: LoopbackSubnet, owner: String, claimRoot: String) -> Bool {
        // 127.0.0.0/24 holds 127.0.0.1, where other software lives.
        if subnet.second == 0 && subnet.third == 0 { return false }
        let path = claimPath(subnet, claimRoot: claimRoot)
        if mkdir(path, 0o755) != 0 {
            // Claimed before: reclaim only when its owner's state is gone (a cluster deleted by hand).
            // Our own earlier claim (state removed by hand, then deployed again) is ours to reuse.
            guard let existing = claimOwner(path), existing == owner || !FileManager.default.fileExists(atPath: existing) else {
                return false
            }
            try? FileManager.default.removeItem(atPath: path)
            guard mkdir(path, 0o755) == 0 else { return false }
        }
        guard isBindable(subnet.address(ordinal: 0), port: 6379) else {
            // Something else listens there: give the claim back and try the next subnet.
            try? FileManager.default.removeItem(atPath: path)
            return false
        }
        do {
            try owner.write(toFile: path + "/owner", atomically: true, encoding: .utf8)
        } catch {
            return false
        }
        return true
    }

    /// Whether nothing listens on address:port (bind test, released at once).
    static func isBindable(_ address: String, port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else { return false }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
