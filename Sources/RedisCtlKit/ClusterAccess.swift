import ClusterOps
import Platforms
import RESP
import RedisCtlCore

extension DeploymentTarget {
    /// Connections to the nodes, with this deployment's credentials and the platform's dialer;
    /// `deadline` bounds all they do (see `connectionOptions`).
    func connector(deadline: Deadline? = nil) async throws -> NodeConnector {
        NodeConnector(options: try await connectionOptions(deadline: deadline), dialer: platform.dialer)
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
