import ClusterOps
import Foundation
import Platforms
import RESP
import RedisCtlCore
import Spec

/// `rotate-password [--user U] [--finish]`: a user's password changed on running nodes with no
/// restart. The first run gives every node the new password beside the old one, then keeps it (the
/// Secret or file, and auth.conf for restarts): clients holding the old one keep working, new ones
/// get the new one. `--finish` takes the old one away. redisctl logs in as the admin throughout.
public struct RotatePasswordCommand: Sendable {
    public var finish: Bool
    /// How long the old password keeps working: a later run after that ends the rotation.
    public var grace: Duration?

    public init(finish: Bool = false, grace: Duration? = nil) {
        self.finish = finish
        self.grace = grace
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        try await DeploymentTarget.with(context) { target in
            guard target.settings.nodes == nil, let rotating = target.platform as? any PasswordRotating else {
                throw GeneralFailure(.usage, "rotate-password needs the platform that keeps the passwords; it cannot work from --nodes")
            }
            let deployment = target.deployment
            let userName = target.settings.user ?? ACLUsers.admin.name
            let user: ACLUserSpec
            if userName == ACLUsers.admin.name {
                user = ACLUsers.admin
            } else if let found = deployment.spec.auth.effectiveUsers.first(where: { $0.name == userName }) {
                user = found
            } else {
                throw GeneralFailure(.usage, "cluster \(target.clusterName) has no user \(userName); its users: default, "
                                     + deployment.spec.auth.effectiveUsers.map(\.name).joined(separator: ", "))
            }
            let deadline = context.deadline()
            let progress = context.progress
            let stored = try await rotating.storedPasswords(of: user.name, for: deployment)
            // redisctl logs in as the admin, with the password kept for it, which every node takes (a
            // cut-short rotation of it changed the nodes before it kept the new one).
            let connector = try await target.adminConnector(password: try await target.platform.password(), deadline: deadline)
            let pods = try await target.podsAllAnswering(connector, toChange: "learn the new password")
            let underWay = stored.previous.map { $0 != stored.current } ?? false
            let now = Date()
            let until = grace.map { now.addingTimeInterval(Double($0.components.seconds)) }
            let graceOver = underWay && stored.previousUntil.map { $0 <= now } == true
            let outcome: RotatePasswordResult.Outcome
            let passwords: UserPasswords
            switch (finish || graceOver, underWay) {
            case (false, false):
                passwords = UserPasswords(current: PasswordGenerator.generate(length: 32), previous: stored.current,
                                          previousUntil: until)
                outcome = .started
            case (false, true):
                passwords = UserPasswords(current: stored.current, previous: stored.previous,
                                          previousUntil: until ?? stored.previousUntil)
                outcome = .underWay
            case (true, true):
                passwords = UserPasswords(current: stored.current)
                outcome = .finished
            case (true, false):
                passwords = UserPasswords(current: stored.current)
                outcome = .nothingUnderWay
            }
            // The nodes first: a password is kept only once every node takes it, so a run cut short
            // never leaves redisctl or a restarted node with a password the others refuse.
            progress.step("\(user.name): \(outcome.progress) on \(pods.count) nodes")
            let replication = user.name == ACLUsers.replication.name ? (user: user.name, password: passwords.current) : nil
            try await AccessControlSync(connector: connector)
                .apply(users: [RedisConfigBuilder.aclArguments(user, passwords)], replication: replication,
                       to: pods.map { (name: $0.name, endpoint: $0.endpoint) })
            try await rotating.storePasswords(passwords, of: user.name, for: deployment, progress: progress)
            try context.emit(RotatePasswordResult(cluster: target.clusterName, user: user.name, outcome: outcome,
                                                  oldPasswordUntil: passwords.previousUntil, nodes: pods.map(\.name)))
            return 0
        }
    }
}

struct RotatePasswordResult: CommandResult, Codable {
    enum Outcome: String, Codable {
        case started, underWay = "under-way", finished, nothingUnderWay = "nothing-under-way"

        var progress: String {
            switch self {
            case .started: "a new password beside the old one"
            case .underWay: "the rotation under way given again"
            case .finished: "the old password taken away"
            case .nothingUnderWay: "no rotation under way; the password given again"
            }
        }
    }

    let cluster: String
    let user: String
    let outcome: Outcome
    /// With `--grace`: from when a run of rotate-password takes the old password away.
    let oldPasswordUntil: Date?
    let nodes: [String]

    var text: String {
        let command = "rotate-password\(user == ACLUsers.admin.name ? "" : " --user \(user)")"
        switch outcome {
        case .started, .underWay:
            if let oldPasswordUntil {
                return "\(cluster): user \(user) has a new password; the old one works until "
                    + "\(ISO8601DateFormatter().string(from: oldPasswordUntil)), when \(command) (or --finish, before) takes it away"
            }
            return "\(cluster): user \(user) has a new password (the old one still works); move clients to it, then run "
                + "\(command) --finish"
        case .finished:
            return "\(cluster): user \(user)'s old password no longer logs in"
        case .nothingUnderWay:
            return "\(cluster): no rotation of user \(user) under way; every node has its password"
        }
    }
}
