import Foundation

extension RedisDeployment {
    /// The fields, as spec paths (`spec.redis.maxmemory`), in which `other` differs from this one,
    /// sorted; empty when they are the same deployment. `ignoring` leaves paths out (and what is
    /// under them), e.g. the size `scale` owns.
    public func differences(from other: RedisDeployment, ignoring: Set<String> = []) -> [String] {
        guard let mine = try? Self.tree(self), let theirs = try? Self.tree(other) else {
            // Both encode from the same Codable types; this is reached only if encoding itself breaks.
            return self == other ? [] : ["spec"]
        }
        var paths: [String] = []
        Self.compare(mine, theirs, path: "", ignoring: ignoring, into: &paths)
        return paths.sorted()
    }

    /// Differences for a one-line message: "spec.image, spec.redis.maxmemory", at most five named.
    public static func summary(of paths: [String]) -> String {
        paths.count > 5 ? paths.prefix(5).joined(separator: ", ") + " and \(paths.count - 5) more"
                        : paths.joined(separator: ", ")
    }

    /// The sizes `scale` changes: a spec that differs from the deployed one only there is the same spec.
    public static let sizePaths: Set<String> = ["spec.masters", "spec.replicasPerMaster"]

    private static func tree(_ deployment: RedisDeployment) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(deployment), options: [.fragmentsAllowed])
    }

    private static func compare(_ left: Any?, _ right: Any?, path: String, ignoring: Set<String>, into paths: inout [String]) {
        if ignoring.contains(path) { return }
        switch (left, right) {
        case let (left as [String: Any], right as [String: Any]):
            for key in Set(left.keys).union(right.keys) {
                compare(left[key], right[key], path: path.isEmpty ? key : "\(path).\(key)", ignoring: ignoring, into: &paths)
            }
        case let (left as NSObject, right as NSObject):
            if left != right { paths.append(path) }
        case (nil, nil):
            return
        default:
            paths.append(path)
        }
    }
}
