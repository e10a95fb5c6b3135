import Foundation

/// Produces the credentials for each request: static tokens and basic auth as they are, token
/// files re-read (service-account tokens rotate), exec plugins run and cached until they expire.
public actor KubeCredentialProvider {
    public let credentials: KubeCredentials
    private let environment: [String: String]
    private let clusterServer: URL
    /// How long an exec plugin may take (the command's `--timeout`).
    private let pluginTimeout: Duration
    private var cachedExecAnswer: ExecCredentialAnswer?
    private var runningPlugin: Task<ExecCredentialAnswer, any Error>?
    /// Bumped by `invalidate()`, so a plugin run started before it does not refill the cache.
    private var generation = 0

    public init(credentials: KubeCredentials, environment: [String: String], clusterServer: URL,
                pluginTimeout: Duration = ExecCredentialPlugin.defaultTimeout) {
        self.credentials = credentials
        self.environment = environment
        self.clusterServer = clusterServer
        self.pluginTimeout = pluginTimeout
    }

    /// The Authorization header value (`Bearer …` / `Basic …`), or nil when requests go without one.
    public func authorizationHeader() async throws -> String? {
        switch credentials {
        case .none, .clientCertificate:
            return nil
        case .token(let token):
            return "Bearer \(token)"
        case .tokenFile(let path):
            return "Bearer \(try readTokenFile(path))"
        case .basic(let username, let password):
            return "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"
        case .exec(let config):
            return try await execAnswer(config).token.map { "Bearer \($0)" }
        }
    }

    /// The client certificate and key an exec plugin answered with, if it gave one.
    public func execClientCertificate() async throws -> (certificatePEM: [UInt8], keyPEM: [UInt8])? {
        guard case .exec(let config) = credentials else { return nil }
        let answer = try await execAnswer(config)
        guard let certificate = answer.clientCertificatePEM, let key = answer.clientKeyPEM else { return nil }
        return (certificate, key)
    }

    /// After a 401: drop cached exec credentials so the next call runs the plugin again.
    public func invalidate() {
        cachedExecAnswer = nil
        runningPlugin = nil
        generation += 1
    }

    private func execAnswer(_ config: ExecConfig) async throws -> ExecCredentialAnswer {
        if let cachedExecAnswer, !cachedExecAnswer.isExpired(at: Date()) { return cachedExecAnswer }
        // Concurrent requests share one plugin run instead of each starting their own.
        if let runningPlugin { return try await runningPlugin.value }
        let environment = environment
        let clusterServer = clusterServer
        let timeout = pluginTimeout
        let run = Task {
            try await ExecCredentialPlugin.run(config, environment: environment, clusterServer: clusterServer, timeout: timeout)
        }
        runningPlugin = run
        let started = generation
        do {
            let answer = try await run.value
            if generation == started {
                cachedExecAnswer = answer
                runningPlugin = nil
            }
            return answer
        } catch {
            // The failed run stays: later calls of this command get its error instead of waiting
            // for the plugin again (until a 401 invalidates it).
            throw error
        }
    }

    /// Read on every request rather than cached: a rotated service-account token replaces the file
    /// (often through a symlink swap), and reading a few hundred bytes is cheaper than being wrong.
    private func readTokenFile(_ path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubeConfigError(source: path, reason: "cannot read the token file (\(error.localizedDescription))")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw KubeConfigError(source: path, reason: "the token file is empty") }
        return token
    }
}
