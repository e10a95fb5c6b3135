import Foundation

/// What the fake server refuses, changeable while it runs: a required bearer token (else 401),
/// forbidden verb/resource pairs (403), and queued failures such as a 503 for retry tests.
final class FakeAccessPolicy: @unchecked Sendable {
    struct InjectedFailure {
        var status: Int
        var retryAfterSeconds: Int?
    }

    private let lock = NSLock()
    private var token: String?
    private var forbidden: Set<String> = []
    private var injected: [InjectedFailure] = []
    private var log: [String] = []

    func setRequiredBearerToken(_ token: String?) { lock.withLock { self.token = token } }

    func forbid(verb: String, resource: String) { lock.withLock { _ = forbidden.insert("\(verb) \(resource)") } }

    func allow(verb: String, resource: String) { lock.withLock { _ = forbidden.remove("\(verb) \(resource)") } }

    func inject(_ failure: InjectedFailure, count: Int) {
        lock.withLock { injected += Array(repeating: failure, count: max(count, 0)) }
    }

    func isAuthorized(_ header: String?) -> Bool {
        lock.withLock { token.map { header == "Bearer \($0)" } ?? true }
    }

    func isForbidden(verb: String, resource: FakeResourceType) -> Bool {
        lock.withLock {
            forbidden.contains("\(verb) \(resource.qualifiedName)") || forbidden.contains("\(verb) \(resource.plural)")
                || forbidden.contains("* \(resource.qualifiedName)") || forbidden.contains("* \(resource.plural)")
        }
    }

    func takeInjectedFailure() -> InjectedFailure? {
        lock.withLock { injected.isEmpty ? nil : injected.removeFirst() }
    }

    /// True when a queued failure waits for the next request (it is left in the queue).
    var hasInjectedFailure: Bool { lock.withLock { !injected.isEmpty } }

    /// For subresources named as RBAC does ("pods/portforward").
    func isForbidden(verb: String, resourceName: String) -> Bool {
        lock.withLock { forbidden.contains("\(verb) \(resourceName)") || forbidden.contains("* \(resourceName)") }
    }

    private var tunnels = 0
    func recordTunnel() { lock.withLock { tunnels += 1 } }
    var tunnelCount: Int { lock.withLock { tunnels } }

    func record(_ line: String) { lock.withLock { log.append(line) } }
    var requestLog: [String] { lock.withLock { log } }
}
