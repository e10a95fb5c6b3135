/// What `render` and `deploy` may add beyond the spec.
public struct RenderOptions: Sendable, Equatable {
    /// Include secret values (the Redis password). Off by default: rendered files are safe to commit.
    public var withSecrets: Bool
    /// The Redis password to put in the auth Secret when `withSecrets` is on; the caller generates it.
    public var password: String?
    /// The ACL users' passwords, by user name, likewise.
    public var userPasswords: [String: String]

    public init(withSecrets: Bool = false, password: String? = nil, userPasswords: [String: String] = [:]) {
        self.withSecrets = withSecrets
        self.password = password
        self.userPasswords = userPasswords
    }
}
