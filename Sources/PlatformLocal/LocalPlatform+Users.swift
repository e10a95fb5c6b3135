import Foundation
import Platforms
import RedisCtlCore
import Spec

/// The local platform's credentials: the admin password in `<cluster>/password`, each ACL user's in
/// `<cluster>/users/<name>` (during `rotate-password`, the one it replaces in `<name>.previous`), all
/// owner-only. The servers read them from `<cluster>/auth.conf`, which every pod's redis.conf
/// includes: passwords as hashes, except the replication user's, which replicas must send.
extension LocalPlatform {
    var usersDirectory: URL { clusterDirectory.appendingPathComponent("users", isDirectory: true) }
    var authConfigURL: URL { clusterDirectory.appendingPathComponent("auth.conf") }

    /// The admin's password files are `password` and `password.previous` beside the cluster record.
    func userPasswordURL(_ name: String) -> URL {
        name == ACLUsers.admin.name ? passwordURL : usersDirectory.appendingPathComponent(name)
    }
    func previousPasswordURL(_ name: String) -> URL {
        userPasswordURL(name).deletingLastPathComponent().appendingPathComponent("\(userPasswordURL(name).lastPathComponent).previous")
    }

    func previousUntilURL(_ name: String) -> URL {
        previousPasswordURL(name).deletingLastPathComponent()
            .appendingPathComponent("\(previousPasswordURL(name).lastPathComponent)-until")
    }

    /// The admin's passwords: `current`, and the one a rotation replaces.
    func adminPasswords(current: String) throws -> UserPasswords {
        UserPasswords(current: current, previous: try readPassword(previousPasswordURL(ACLUsers.admin.name)))
    }

    /// Every user's passwords, making those that are missing.
    func loadOrCreateUserPasswords(for spec: DeploymentSpec) throws -> [String: UserPasswords] {
        try FileManager.default.createDirectory(at: usersDirectory, withIntermediateDirectories: true)
        var passwords: [String: UserPasswords] = [:]
        for user in spec.auth.effectiveUsers {
            let current: String
            if let kept = try readPassword(userPasswordURL(user.name)) {
                current = kept
            } else {
                current = PasswordGenerator.generate(length: 32)
                try writePrivate(current + "\n", to: userPasswordURL(user.name))
            }
            passwords[user.name] = UserPasswords(current: current, previous: try readPassword(previousPasswordURL(user.name)))
        }
        return passwords
    }

    /// Writes auth.conf from the admin's passwords and the users' (whole, owner-only).
    func writeAuthConfig(spec: DeploymentSpec, admin: UserPasswords, users: [String: UserPasswords]) throws {
        let config = RedisConfig(RedisConfigBuilder.accessControl(spec.auth.effectiveUsers, passwords: users, admin: admin))
        let text = config.render(header: "Written by redisctl for local cluster \(clusterName): its users. Rewritten by deploy.")
        if (try? String(contentsOf: authConfigURL, encoding: .utf8)) != text { try writePrivate(text, to: authConfigURL) }
    }

    public func userPasswords(for deployment: RedisDeployment) async throws -> [String: UserPasswords] {
        var passwords: [String: UserPasswords] = [:]
        for user in deployment.spec.auth.effectiveUsers {
            guard let current = try readPassword(userPasswordURL(user.name)) else {
                throw GeneralFailure(.cannotRun, "local cluster \(clusterName) has no password for user \(user.name) at "
                                     + "\(userPasswordURL(user.name).path); run deploy --platform local")
            }
            passwords[user.name] = UserPasswords(current: current, previous: try readPassword(previousPasswordURL(user.name)))
        }
        return passwords
    }

    /// A password file's text without its line end; nil when there is none. An unreadable or empty
    /// one fails: a password is never made up in place of one that is there.
    func readPassword(_ url: URL) throws -> String? {
        guard let text = try readSmallFile(url, limit: 4096, kind: "password file")?.trimmingCharacters(in: .whitespacesAndNewlines)
        else { return nil }
        guard !text.isEmpty else {
            throw GeneralFailure(.cannotRun, "\(url.path) holds no password; put it back, or remove the file for a new one")
        }
        return text
    }
}

extension LocalPlatform: PasswordRotating {
    public func storedPasswords(of user: String, for deployment: RedisDeployment) async throws -> UserPasswords {
        guard let current = try readPassword(userPasswordURL(user)) else {
            throw GeneralFailure(.cannotRun, "local cluster \(clusterName) has no password for user \(user) at "
                                 + "\(userPasswordURL(user).path); run deploy --platform local")
        }
        let until = try UserPasswords.graceEnd(try readPassword(previousUntilURL(user)), in: previousUntilURL(user).path)
        return UserPasswords(current: current, previous: try readPassword(previousPasswordURL(user)), previousUntil: until)
    }

    /// The previous password first, then the current one: a run cut short in between leaves both
    /// the same, which the next run reads as no rotation begun.
    public func storePasswords(_ passwords: UserPasswords, of user: String, for deployment: RedisDeployment,
                               progress: any ProgressReporter) async throws {
        if let until = passwords.previousUntil {
            try writePrivate(UserPasswords.graceEndText(until) + "\n", to: previousUntilURL(user))
        } else if FileManager.default.fileExists(atPath: previousUntilURL(user).path) {
            try FileManager.default.removeItem(at: previousUntilURL(user))
        }
        if let previous = passwords.previous {
            try writePrivate(previous + "\n", to: previousPasswordURL(user))
        } else if FileManager.default.fileExists(atPath: previousPasswordURL(user).path) {
            try FileManager.default.removeItem(at: previousPasswordURL(user))
        }
        try writePrivate(passwords.current + "\n", to: userPasswordURL(user))
        let spec = deployment.spec
        try writeAuthConfig(spec: spec, admin: try adminPasswords(current: try loadOrCreatePassword()),
                            users: try loadOrCreateUserPasswords(for: spec))
    }
}
