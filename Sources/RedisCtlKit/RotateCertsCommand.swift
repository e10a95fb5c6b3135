import Certificates
import ClusterOps
import Foundation
import Platforms
import RESP
import RedisCtlCore

/// `rotate-certs`: new TLS certificates on running nodes, loaded with CONFIG SET: no restart, no
/// dropped connection or replica link. The platform writes the files; every node then loads them
/// and is checked: it serves the certificate written for it and trusts the CA it must.
public struct RotateCertsCommand: Sendable {
    public var step: CertificateRotationStep

    public init(step: CertificateRotationStep) { self.step = step }

    public func run(_ context: CommandContext) async throws -> Int32 {
        try await DeploymentTarget.with(context) { target in
            guard target.settings.tls == nil else {
                throw GeneralFailure(.usage, "rotate-certs trusts the cluster's own CA; drop --tls, --cacert, --cert, --key and --sni")
            }
            guard target.settings.nodes == nil, let rotating = target.platform as? any CertificateRotating else {
                throw GeneralFailure(.usage, "rotate-certs needs the platform that holds the certificates; it cannot work from --nodes")
            }
            let deadline = context.deadline()
            guard target.deployment.spec.tls.enabled else {
                throw GeneralFailure(.cannotRun, "TLS is off for cluster \(target.clusterName) (spec.tls.enabled); there is nothing to rotate")
            }
            let pods = try await target.podsAllAnswering(try await target.connector(deadline: deadline),
                                                         toChange: "load the new certificates")
            let progress = context.progress
            let now = Date()
            var staged = try await rotating.stageCertificates(step, for: target.deployment, pods: pods, now: now, progress: progress)
            var served = try await load(staged, on: pods, target: target, deadline: deadline, progress: progress)
            var summary = staged.summary
            if staged.awaitsRetirement {
                staged = try await rotating.retireOldAuthority(for: target.deployment, pods: pods, now: now, progress: progress)
                served = try await load(staged, on: pods, target: target, deadline: deadline, progress: progress)
                summary += "; " + staged.summary
            }
            try context.emit(RotateCertsResult(
                cluster: target.clusterName, step: step.rawValue, summary: summary, trust: staged.trust.location,
                nodes: pods.map { RotateCertsResult.Node(name: $0.name, certificate: served[$0.name].map(certificateFingerprint) ?? "") }))
            return 0
        }
    }

    /// Every node loads its files and passes the checks, one at a time (a node that fails stops the
    /// run; the ones after it keep what they had, which the trusted CAs still accept).
    private func load(_ staged: NodeCertificates, on pods: [PodEndpoint], target: DeploymentTarget, deadline: Deadline,
                      progress: any ProgressReporter) async throws -> [String: [UInt8]] {
        let tls = try staged.trust.redisTLS()
        let transport = target.platform.dialer
        let connector = NodeConnector(options: try await target.connectionOptions(deadline: deadline),
                                      dialer: TLSDialer(wrapping: transport, tls: tls))
        var proof: RedisTLS?
        if let certificate = staged.proof {
            proof = RedisTLS(trustingPEM: staged.trust.caCertificatesPEM, serverName: staged.trust.serverName,
                             clientCertificatePEM: certificate.certificatePEM, clientKeyPEM: certificate.privateKeyPEM)
            if proof == nil { throw GeneralFailure(.cannotRun, "cannot use the check certificate made from the new CA") }
        }
        let reloader = TLSReloader(connector: connector, transport: transport, tls: tls, progress: progress)
        var served: [String: [UInt8]] = [:]
        for pod in pods {
            let check = TLSReloadCheck(served: staged.served?[pod.name], proof: proof)
            served[pod.name] = try await reloader.reload(pod.endpoint, named: pod.name, check: check, deadline: deadline)
            progress.detail("\(pod.name): loaded its TLS files")
        }
        return served
    }
}

struct RotateCertsResult: CommandResult, Codable {
    struct Node: Codable {
        let name: String
        /// SHA-256 of the certificate it serves.
        let certificate: String
    }

    let cluster: String
    let step: String
    let summary: String
    /// Where the CAs clients must trust are.
    let trust: String
    let nodes: [Node]

    var text: String {
        (["\(cluster): \(summary)", "trust: \(trust)"]
            + nodes.map { "\($0.name)  serves sha256:\($0.certificate.prefix(16))…" }).joined(separator: "\n")
    }
}
