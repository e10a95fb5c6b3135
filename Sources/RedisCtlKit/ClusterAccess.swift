import ClusterOps
import Foundation
import NIOSSL
import Platforms
import RESP
import RedisCtlCore

extension DeploymentTarget {
    /// Connections to the nodes, with this deployment's credentials and the platform's dialer
    /// (under TLS with `--tls`, or when the spec turns it on); `deadline` bounds all they do (see
    /// `connectionOptions`).
    func connector(deadline: Deadline? = nil) async throws -> NodeConnector {
        NodeConnector(options: try await connectionOptions(deadline: deadline), dialer: try await nodeDialer())
    }

    /// As `connector`, logged in as the admin with `password`, whatever `--user` says (commands
    /// whose `--user` names the user they act on, not the one they log in as).
    func adminConnector(password: String, deadline: Deadline) async throws -> NodeConnector {
        var options = try await connectionOptions(deadline: deadline)
        options.user = nil
        options.password = password
        return NodeConnector(options: options, dialer: try await nodeDialer())
    }

    /// Every pod, once each one runs and answers PING over `connector`: a command that must change
    /// every node (a rotation) asks this before it writes anything, so a stopped or unreachable
    /// node stops it with nothing changed, within the connect timeout.
    func podsAllAnswering(_ connector: NodeConnector, toChange what: String) async throws -> [PodEndpoint] {
        let pods = try await nodes()
        for pod in pods {
            let reason: String
            if !pod.ready {
                reason = "is not running"
            } else {
                do {
                    _ = try await connector.withConnection(pod.endpoint) { try await $0.send("PING") }
                    continue
                } catch {
                    reason = "does not answer (\((error as? any RedisCtlFailure)?.message ?? "\(error)"))"
                }
            }
            throw GeneralFailure(.operationFailed, "\(pod.name) \(reason); every node must \(what). Nothing was changed: "
                                 + "run it again once the node is back (deploy starts a pod that is down)")
        }
        return pods
    }

    /// The platform's dialer, under TLS when `--tls` or the spec asks.
    func nodeDialer() async throws -> any RedisDialer {
        try await clientTLS().map { TLSDialer(wrapping: platform.dialer, tls: $0) } ?? platform.dialer
    }

    /// `--tls` and its files when given; else, for a spec with TLS on, the platform's CA.
    func clientTLS() async throws -> RedisTLS? {
        if let explicit = settings.tls { return try explicit.redisTLS() }
        return try await platform.nodeTrust(for: deployment.spec)?.redisTLS()
    }
}

extension PodEndpoint {
    /// The planner's view of a pod: the machine and zone it runs on are its failure domain.
    var layoutCandidate: LayoutCandidate {
        LayoutCandidate(name: name, host: endpoint.host, port: endpoint.port, failureDomain: failureDomain)
    }

    var failureDomain: FailureDomain {
        FailureDomain(host: host ?? endpoint.host, node: nodeName, zone: zone)
    }
}

/// Fixed-width text tables for the terminal.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

extension TLSSettings {
    /// The TLS context from the files; a file that cannot be read or parsed, or a key that is not
    /// the certificate's, is a one-line error naming the option (exit 2).
    func redisTLS() throws -> RedisTLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            configuration.trustRoots = .certificates(try Self.certificates(caFile, option: "--cacert"))
        }
        switch (certificateFile, keyFile) {
        case (nil, nil):
            break
        case (let certificateFile?, let keyFile?):
            configuration.certificateChain = try Self.certificates(certificateFile, option: "--cert").map { .certificate($0) }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: try Self.read(keyFile, option: "--key"), format: .pem))
            } catch let failure as GeneralFailure {
                throw failure
            } catch {
                throw GeneralFailure(.cannotRun, "--key \(keyFile) is not a PEM private key")
            }
        default:
            throw GeneralFailure(.usage, "--cert and --key go together")
        }
        do {
            return try RedisTLS(configuration: configuration, serverName: serverName)
        } catch {
            throw GeneralFailure(.cannotRun, "--key \(keyFile ?? "") does not match --cert \(certificateFile ?? ""); give the key of that certificate")
        }
    }

    private static func certificates(_ path: String, option: String) throws -> [NIOSSLCertificate] {
        let bytes = try read(path, option: option)
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
            throw GeneralFailure(.cannotRun, "\(option) \(path) holds no PEM certificate")
        }
        return certificates
    }

    /// At most 1 MiB: certificate files are a few KiB.
    private static func read(_ path: String, option: String) throws -> [UInt8] {
        let data: Data?
        do {
            data = try SmallFile.read(path)
        } catch .tooLarge {
            throw GeneralFailure(.cannotRun, "\(option) \(path) is larger than 1 MiB; not a PEM file")
        } catch .unreadable {
            data = nil
        }
        guard let data else { throw GeneralFailure(.cannotRun, "\(option) \(path) cannot be read") }
        return Array(data)
    }
}
