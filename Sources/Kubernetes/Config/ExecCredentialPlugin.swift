import Foundation
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an exec credential plugin answered.
struct ExecCredentialAnswer: Sendable {
    var token: String?
    var clientCertificatePEM: [UInt8]?
    var clientKeyPEM: [UInt8]?
    /// nil: valid until a 401 says otherwise.
    var expiration: Date?

    func isExpired(at now: Date) -> Bool {
        expiration.map { $0 <= now } ?? false
    }
}

/// Runs a `client.authentication.k8s.io` exec plugin and reads its `ExecCredential` answer.
public enum ExecCredentialPlugin {
    /// Without a command's `--timeout` (library callers).
    public static let defaultTimeout: Duration = .seconds(60)
    /// A token, or a certificate chain and key, take a few KiB; stdout beyond this is not an answer.
    static let maximumAnswerBytes = 1 << 20

    static func run(
        _ config: ExecConfig, environment: [String: String], clusterServer: URL, timeout: Duration = defaultTimeout
    ) async throws -> ExecCredentialAnswer {
        if config.interactiveMode == "Always" {
            throw failure(config, "exec plugin '\(config.command)' needs an interactive terminal (interactiveMode: Always), which redisctl does not give it")
        }
        guard let executable = locate(config.command, path: environment["PATH"]) else {
            let where_ = config.command.contains("/") ? "does not exist or is not executable" : "was not found on PATH"
            throw failure(config, "exec plugin '\(config.command)' \(where_)", hint: config.installHint)
        }
        var childEnvironment = environment
        for variable in config.env { childEnvironment[variable.name] = variable.value }
        childEnvironment["KUBERNETES_EXEC_INFO"] = try execInfo(config, clusterServer: clusterServer)

        // A script written moments ago can still be open for writing in a child that another
        // thread just forked (ETXTBSY) and that has not reached its exec yet, which on a loaded
        // machine takes a while: retried for up to 2 s, within the bound.
        let deadline = Deadline.after(timeout)
        let launchDeadline = deadline.capped(at: .seconds(2))
        var attempt = 0
        let outcome: ChildProcess.Outcome
        while true {
            do {
                outcome = try await ChildProcess.run(executable, arguments: config.args, environment: childEnvironment,
                                                     outputLimit: maximumAnswerBytes, deadline: deadline)
                break
            } catch ChildProcess.Failure.cannotStart(let code) where code == ETXTBSY && !launchDeadline.hasPassed {
                attempt += 1
                try await Task.sleep(for: .milliseconds(min(20 * attempt, 200)))
            } catch ChildProcess.Failure.cannotStart(let code) {
                throw failure(config, "exec plugin '\(executable)' could not be started (\(String(cString: strerror(code))))",
                              hint: config.installHint)
            } catch ChildProcess.Failure.timedOut {
                // Also when the plugin exited but a child it left still holds its stdout.
                throw failure(config, "exec plugin '\(config.command)' did not answer within \(timeout); it and "
                              + "what it started were stopped", hint: config.installHint)
            } catch ChildProcess.Failure.outputTooLarge(let limit) {
                throw failure(config, "exec plugin '\(config.command)' printed more than \(limit / 1024) KiB on stdout, "
                              + "more than any ExecCredential; it was stopped")
            }
        }
        guard outcome.termination == .exited(0) else {
            let errorText = oneLine(String(decoding: outcome.stderr, as: UTF8.self))
            let detail = errorText.isEmpty ? "" : ": \(errorText)"
            throw failure(config, "exec plugin '\(config.command)' \(outcome.termination)\(detail)", hint: config.installHint)
        }
        let outputData = Data(outcome.stdout)
        return try parseAnswer(outputData, config: config)
    }

    /// The ExecCredential answer on the plugin's stdout. Its text is never quoted in errors: it holds secrets.
    static func parseAnswer(_ data: Data, config: ExecConfig) throws -> ExecCredentialAnswer {
        struct Answer: Decodable {
            struct Status: Decodable {
                var token: String?
                var clientCertificateData: String?
                var clientKeyData: String?
                var expirationTimestamp: String?
            }
            var apiVersion: String?
            var kind: String?
            var status: Status?
        }
        let answer: Answer
        do {
            answer = try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw failure(config, "exec plugin '\(config.command)' did not print an ExecCredential as JSON on stdout")
        }
        guard answer.apiVersion == config.apiVersion else {
            throw failure(config, "exec plugin '\(config.command)' answered apiVersion '\(answer.apiVersion ?? "")', expected '\(config.apiVersion)'")
        }
        guard answer.kind == "ExecCredential" else {
            throw failure(config, "exec plugin '\(config.command)' answered kind '\(answer.kind ?? "")', expected 'ExecCredential'")
        }
        guard let status = answer.status else {
            throw failure(config, "exec plugin '\(config.command)' answered without a status")
        }
        var result = ExecCredentialAnswer()
        if let token = status.token, !token.isEmpty { result.token = token }
        let certificate = status.clientCertificateData.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let key = status.clientKeyData.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        if (certificate == nil) != (key == nil) {
            throw failure(config, "exec plugin '\(config.command)' answered \(certificate == nil ? "clientKeyData without clientCertificateData" : "clientCertificateData without clientKeyData")")
        }
        if let certificate, let key {
            let origin = "\(config.origin): exec plugin '\(config.command)'"
            _ = try parseCertificates(certificate, what: "clientCertificateData", origin: origin)
            _ = try parsePrivateKey(key, origin: origin)
            result.clientCertificatePEM = certificate
            result.clientKeyPEM = key
        }
        guard result.token != nil || result.clientCertificatePEM != nil else {
            throw failure(config, "exec plugin '\(config.command)' answered neither a token nor a client certificate")
        }
        if let timestamp = status.expirationTimestamp, !timestamp.isEmpty {
            guard let expiration = parseTimestamp(timestamp) else {
                throw failure(config, "exec plugin '\(config.command)' answered expirationTimestamp '\(timestamp)', which is not an RFC 3339 time")
            }
            result.expiration = expiration
        }
        return result
    }

    /// `KUBERNETES_EXEC_INFO`: tells the plugin the API version, that nobody can answer prompts,
    /// and the cluster when the kubeconfig asks for that.
    static func execInfo(_ config: ExecConfig, clusterServer: URL) throws -> String {
        struct Spec: Encodable {
            var interactive: Bool
            var cluster: ExecClusterInfo?
        }
        struct Info: Encodable {
            var apiVersion: String
            var kind = "ExecCredential"
            var spec: Spec
        }
        let cluster = config.provideClusterInfo ? (config.cluster ?? ExecClusterInfo(server: clusterServer.absoluteString)) : nil
        let info = Info(apiVersion: config.apiVersion, spec: Spec(interactive: false, cluster: cluster))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(info), as: UTF8.self)
    }

    /// A path is used as is; a bare name is looked up on `path` (the PATH variable), as a shell would.
    static func locate(_ command: String, path: String?) -> String? {
        if command.contains("/") {
            return FileManager.default.isExecutableFile(atPath: command) ? command : nil
        }
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            let candidate = ((directory.isEmpty ? "." : String(directory)) as NSString).appendingPathComponent(command)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    private static func failure(_ config: ExecConfig, _ reason: String, hint: String? = nil) -> KubeConfigError {
        var text = reason
        if let hint, !hint.isEmpty { text += " (\(oneLine(hint)))" }
        return KubeConfigError(source: config.origin, reason: text)
    }

    private static func oneLine(_ text: String) -> String {
        let joined = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        // A plugin can print pages of stderr; the message stays one readable line.
        return joined.count > 2000 ? String(joined.prefix(2000)) + "…" : joined
    }
}
