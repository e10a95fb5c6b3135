import RedisCtlCore
import Spec

/// A platform that keeps the users' passwords where redisctl may change them (`rotate-password`).
public protocol PasswordRotating: Platform {
    /// `user`'s passwords as kept (`default`: the admin's). Missing or unreadable fails.
    func storedPasswords(of user: String, for deployment: RedisDeployment) async throws -> UserPasswords
    /// Keeps `passwords` as `user`'s, then rewrites what the servers read when they start (auth.conf),
    /// so a restarted node accepts what the running ones do.
    func storePasswords(_ passwords: UserPasswords, of user: String, for deployment: RedisDeployment,
                        progress: any ProgressReporter) async throws
}
