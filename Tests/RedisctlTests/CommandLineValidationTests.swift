import ArgumentParser
import RedisCtlCore
import Testing
@testable import redisctl

/// Flag values that cannot work are usage errors (exit 64) found while parsing, before any I/O.
@Suite struct CommandLineValidationTests {
    /// The exit code and message ArgumentParser gives for `arguments`; nil when they parse.
    func rejection(_ arguments: [String]) -> (code: Int32, message: String)? {
        do {
            _ = try Redisctl.parseAsRoot(arguments)
            return nil
        } catch {
            return (Redisctl.exitCode(for: error).rawValue, Redisctl.message(for: error))
        }
    }

    /// The TLS options mean nothing without --tls, and a client certificate needs its key.
    @Test func tlsOptionsNeedTLS() {
        let without = rejection(["verify", "--cacert", "ca.crt"])
        #expect(without?.code == 64 && without?.message.contains("--cacert needs --tls") == true, "\(String(describing: without))")
        let halfPair = rejection(["verify", "--tls", "--cert", "c.crt"])
        #expect(halfPair?.code == 64 && halfPair?.message.contains("--cert and --key go together") == true,
                "\(String(describing: halfPair))")
        #expect(rejection(["verify", "--tls", "--cacert", "ca.crt", "--sni", "redis.example"]) == nil)
    }

    /// rotate-certs' steps are one at a time.
    @Test func rotateCertsTakesOneStep() {
        let both = rejection(["rotate-certs", "--new-ca", "--finish"])
        #expect(both?.code == 64 && both?.message.contains("separate steps") == true, "\(String(describing: both))")
        for step in [[], ["--new-ca"], ["--finish"], ["--reload"]] {
            #expect(rejection(["rotate-certs"] + step) == nil, "\(step)")
        }
    }

    @Test func durationsParse() {
        #expect(parseDuration("30s") == .seconds(30))
        #expect(parseDuration("1500ms") == .milliseconds(1500))
        #expect(parseDuration("5m") == .seconds(300))
        #expect(parseDuration("1h") == .seconds(3600))
        #expect(parseDuration("2.5") == .milliseconds(2500))
        #expect(parseDuration("720h") == .seconds(30 * 86_400))
    }

    /// Regression test: `--timeout 1e20s` trapped converting to integer nanoseconds (SIGILL).
    @Test func absurdDurationsAreRejected() {
        for text in ["1e20s", "1e20", "721h", "43201m", "1e300ms", "nan", "nans", "inf", "infs", "-1s", "-0.5", "", "s", "10x"] {
            #expect(parseDuration(text) == nil, "\(text) parsed")
        }
    }

    @Test func absurdTimeoutIsAUsageErrorForEveryCommand() throws {
        for command in ["render", "verify", "backup", "benchmark"] {
            var arguments = [command, "--timeout", "1e20s"]
            if command == "backup" { arguments += ["--to", "/tmp/x"] }
            let rejected = try #require(rejection(arguments), "\(command) accepted --timeout 1e20s")
            #expect(rejected.code == 64)
            #expect(rejected.message.contains("--timeout '1e20s'") && rejected.message.contains("30 days"), "\(rejected.message)")
        }
        #expect(rejection(["render", "--timeout", "30s"]) == nil)
    }

    /// Regression test: `init-cluster --masters 2` contacted the cluster and exited 2.
    @Test func impossibleShapesAreUsageErrors() throws {
        for arguments in [["init-cluster", "--masters", "2"], ["init-cluster", "--replicas-per-master", "-1"],
                          ["scale", "--masters", "2"], ["scale", "--masters", "20000"]] {
            let rejected = try #require(rejection(arguments), "\(arguments) accepted")
            #expect(rejected.code == 64, "\(arguments): \(rejected)")
            #expect(rejected.message.contains(arguments[1]), "\(rejected.message)")
        }
        #expect(rejection(["init-cluster", "--masters", "3", "--replicas-per-master", "0"]) == nil)
    }
}
