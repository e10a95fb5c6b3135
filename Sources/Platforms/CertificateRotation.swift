import Certificates
import Foundation
import RedisCtlCore
import Spec

/// One step of `rotate-certs`. Each step writes certificates where the nodes read them; the command
/// then has every node load them (no restart) and checks what each one serves.
public enum CertificateRotationStep: String, Sendable, Codable, CaseIterable {
    /// New node certificates from the CA that signs now.
    case renew
    /// Nothing new: the nodes load the files as they are (after cert-manager or an operator renewed them).
    case reload
    /// A new CA, trusted beside the old one by nodes and clients; the node certificates stay.
    case newAuthority = "new-ca"
    /// Node certificates from the new CA; then the old CA is trusted no more.
    case finish
}

/// What the nodes must present and accept once they loaded a step's files, so the command can
/// check each one instead of trusting that a reload worked.
public struct NodeCertificates: Sendable {
    /// What clients trust from now on (both CAs during a rotation).
    public var trust: NodeTrust
    /// The certificate (DER) each pod must serve, by pod name; nil: whatever the CA in `trust` signed.
    public var served: [String: [UInt8]]?
    /// A client certificate every node must accept: signed by the CA the nodes must now trust.
    public var proof: IssuedCertificate?
    /// What changed, for the report.
    public var summary: String
    /// `finish` with a rotation under way: once every node serves these, `retireOldAuthority` runs.
    public var awaitsRetirement: Bool

    public init(trust: NodeTrust, served: [String: [UInt8]]?, proof: IssuedCertificate?, summary: String,
                awaitsRetirement: Bool = false) {
        self.trust = trust
        self.served = served
        self.proof = proof
        self.summary = summary
        self.awaitsRetirement = awaitsRetirement
    }
}

/// A platform whose TLS certificates redisctl can renew and replace on running nodes.
public protocol CertificateRotating: Platform {
    /// Writes `step`'s certificates where the pods read them (files, the TLS Secret) and says what
    /// the nodes must serve once they load them. `finish` writes the new node certificates only:
    /// the old CA is dropped by `retireOldAuthority` once every node serves them. Re-running a step
    /// that was cut short continues it.
    func stageCertificates(_ step: CertificateRotationStep, for deployment: RedisDeployment, pods: [PodEndpoint],
                           now: Date, progress: any ProgressReporter) async throws -> NodeCertificates
    /// After `finish` was loaded everywhere: trusts the new CA only, and makes it the one that signs.
    func retireOldAuthority(for deployment: RedisDeployment, pods: [PodEndpoint], now: Date,
                            progress: any ProgressReporter) async throws -> NodeCertificates
}

extension CertificateRotationStep {
    /// How long a new CA and a node's certificate last, on every platform.
    public static let authorityValidity: Duration = .seconds(10 * 365 * 86_400)
    public static let nodeCertificateValidity: Duration = .seconds(365 * 86_400)

    /// A throwaway client certificate from `authority`, valid for an hour: a node that accepts it in a
    /// handshake trusts that CA.
    public static func proof(from authority: CertificateAuthority, now: Date) throws -> IssuedCertificate {
        try authority.issue(CertificateRequest(commonName: "redisctl rotate-certs check", validity: .seconds(3600)), now: now)
    }

    /// A new CA's name: the cluster's and the time it was made, so the old and the new CA never share
    /// a subject (verifiers pick a CA by its name).
    public static func authorityName(cluster: String, now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "redisctl \(cluster) CA \(formatter.string(from: now))"
    }
}
