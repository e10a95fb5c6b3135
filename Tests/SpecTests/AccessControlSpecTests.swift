import Spec
import Testing

@Suite struct AccessControlSpecTests {
    func parse(_ users: String) throws -> RedisDeployment {
        try SpecLoader.parse(yaml: """
            apiVersion: redisctl.io/v1alpha1
            kind: RedisDeployment
            metadata: {name: c}
            spec:
              auth:
                users: \(users)
            """)
    }

    @Test func theBuiltInUsersAreThereUnlessRenamedRulesReplaceThem() throws {
        #expect(AuthSpec().effectiveUsers.map(\.name) == ["app", "exporter", "replication", "backup"])
        let custom = try parse("[{name: app, rules: \"~app:* +@read\"}, {name: reports, rules: \"~report:* +get\"}]")
        let users = custom.spec.auth.effectiveUsers
        #expect(users.map(\.name) == ["app", "exporter", "replication", "backup", "reports"])
        #expect(users.first?.rules == "~app:* +@read")
        #expect(SpecValidator.validate(custom) == nil)
    }

    @Test func passwordsAndSwitchesInRulesAreRefused() throws {
        for (users, path) in [
            ("[{name: x, rules: \">secret +@all\"}]", "spec.auth.users[0].rules"),
            ("[{name: x, rules: \"nopass +@all\"}]", "spec.auth.users[0].rules"),
            ("[{name: x, rules: \"off\"}]", "spec.auth.users[0].rules"),
            ("[{name: x, rules: \"#abc +@all\"}]", "spec.auth.users[0].rules"),
            ("[{name: x, rules: \"\"}]", "spec.auth.users[0].rules"),
            ("[{name: default, rules: \"+@all\"}]", "spec.auth.users[0].name"),
            ("[{name: Bad_Name, rules: \"+@all\"}]", "spec.auth.users[0].name"),
            ("[{name: a, rules: \"+get\"}, {name: a, rules: \"+set\"}]", "spec.auth.users[0].name"),
        ] {
            do {
                _ = try parse(users)
                Issue.record("\(users) was accepted")
            } catch {
                #expect("\(error)".contains(path + ":"), "\(users): \(error)")
            }
        }
        #expect(throws: (any Error).self) { try parse("[{name: x, rules: \"+get\", password: p}]") }
    }

    @Test func theConfigLinesCarryHashesAndTheReplicationCredentials() {
        let lines = RedisConfigBuilder.accessControl(AuthSpec().effectiveUsers, passwords: [
            "app": UserPasswords(current: "a1", previous: "a0"), "replication": UserPasswords(current: "r1"),
        ], admin: UserPasswords(current: "root")).map(\.line)
        #expect(lines.first == "user default reset on #\(RedisConfigBuilder.passwordHash("root")) ~* &* +@all", "\(lines)")
        #expect(lines.dropFirst().first == "masteruser replication" && lines.dropFirst(2).first == "masterauth r1")
        let app = RedisConfigBuilder.passwordHash("a1"), old = RedisConfigBuilder.passwordHash("a0")
        #expect(lines.contains("user app reset on #\(app) #\(old) ~* &* +@all -@admin -@dangerous"), "\(lines)")
        #expect(!lines.contains { $0.contains("exporter") }, "a user without a password is left out")
        #expect(RedisConfigBuilder.passwordHash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
