import RESP

/// A pod as the membership operations address it.
public struct MemberAddress: Hashable, Sendable {
    public var name: String
    public var endpoint: RedisEndpoint

    public init(name: String, endpoint: RedisEndpoint) {
        self.name = name
        self.endpoint = endpoint
    }
}

extension MemberAddress {
    /// "redis-cluster-3 (10.0.0.7:6379)" for messages; just the address where the name is the address
    /// (nodes given with --nodes).
    public var label: String { nodeLabel(name, endpoint.description) }
}

extension LayoutCandidate {
    public var label: String { nodeLabel(name, address) }
}

/// A node's name and address for a message, the address once when it is the name.
func nodeLabel(_ name: String, _ address: String) -> String {
    name == address ? name : "\(name) (\(address))"
}
