import Foundation
import Testing
@testable import Kubernetes

/// A temp directory for one test's kubeconfig files and plugin scripts, removed when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("redisctl-kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// A shell script made executable, for exec credential plugins.
    @discardableResult
    func writeScript(_ name: String, _ body: String) throws -> String {
        let target = try write(name, "#!/bin/sh\n" + body + "\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: target)
        return target
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: file(name), encoding: .utf8)
    }

    /// How many lines a plugin script appended to its run counter.
    func runCount(_ name: String = "runs") throws -> Int {
        guard FileManager.default.fileExists(atPath: file(name)) else { return 0 }
        return try read(name).split(separator: "\n").count
    }
}

/// A throwaway self-signed P-256 certificate and its key, valid until 2126; used as CA and client certificate.
enum TestPEM {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBiDCCAS2gAwIBAgIUNPLa/EwdkwJGRs99+fDqbP5YIWUwCgYIKoZIzj0EAwIw
        GDEWMBQGA1UEAwwNcmVkaXNjdGwtdGVzdDAgFw0yNjExMjYxODI5MDdaGA8yMTI2
        MTEwMjE4MjkwN1owGDEWMBQGA1UEAwwNcmVkaXNjdGwtdGVzdDBZMBMGByqGSM49
        AgEGCCqGSM49AwEHA0IABOoeaeuoLHNp/QR++aTKHyr0PpaPoZDHUigb9PS5lPUh
        /PQexJoylQoRZfr9gjBRlUyr1faMdM/ipA/SAY7t4j2jUzBRMB0GA1UdDgQWBBRZ
        VS8HRZl7mIP8t5vR/9j8I7yXdjAfBgNVHSMEGDAWgBRZVS8HRZl7mIP8t5vR/9j8
        I7yXdjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDJSPeN5dfV
        kDe6CISsaYm7KBDCbO9NEVrOcBpN8d/aewIhAImspihedAsMLXdbimslOX2clon1
        TA3Hl/15jsdHXb7Y
        -----END CERTIFICATE-----

        """
    static let key = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUFa3kF8FPvqNsJo9
        TLx5DDJY7CTpnqvfnJ5Tz5vA96ahRANCAATqHmnrqCxzaf0Efvmkyh8q9D6Wj6GQ
        x1IoG/T0uZT1Ifz0HsSaMpUKEWX6/YIwUZVMq9X2jHTP4qQP0gGO7eI9
        -----END PRIVATE KEY-----

        """
    static var certificateBase64: String { Data(certificate.utf8).base64EncodedString() }
    static var keyBase64: String { Data(key.utf8).base64EncodedString() }
    static var certificateBytes: [UInt8] { Array(certificate.utf8) }
    static var keyBytes: [UInt8] { Array(key.utf8) }
}

/// Runs `body` expecting a `KubeConfigError` of category cannotRun; returns its message.
@discardableResult
func kubeConfigErrorMessage(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> String {
    do {
        try await body()
        Issue.record("expected a KubeConfigError, but it succeeded", sourceLocation: sourceLocation)
    } catch let error as KubeConfigError {
        #expect(error.category == .cannotRun, sourceLocation: sourceLocation)
        return error.message
    } catch {
        Issue.record("expected a KubeConfigError, got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

/// An environment with no kubeconfig and no cluster, so tests see only what they set up.
func isolatedEnvironment(home: String, _ extra: [String: String] = [:]) -> [String: String] {
    var environment = ["HOME": home, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    environment.merge(extra) { _, new in new }
    return environment
}

/// A one-context kubeconfig. `cluster` and `user` are extra YAML lines, each indented four spaces.
func kubeconfig(server: String = "https://k8s.example.com:6443", cluster: String = "", user: String = "", namespace: String? = nil) -> String {
    """
    apiVersion: v1
    kind: Config
    clusters:
    - name: main
      cluster:
        server: \(server)
    \(cluster)
    users:
    - name: admin
      user:
    \(user.isEmpty ? "    {}" : user)
    contexts:
    - name: main
      context:
        cluster: main
        user: admin
    \(namespace.map { "    namespace: \($0)" } ?? "")
    current-context: main
    """
}
