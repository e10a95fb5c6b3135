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
