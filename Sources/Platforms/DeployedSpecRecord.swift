import Foundation
import RedisCtlCore
import Spec

/// How a platform keeps the deployed spec beside the pods (an annotation on the StatefulSet, a field
/// of the local cluster record): JSON with sorted keys, so the same spec is the same text and a
/// re-apply changes nothing.
package enum DeployedSpecRecord {
    /// Generous for any spec (thousands of extraConfig keys fit); a larger record is not ours.
    package static let maximumBytes = 1 << 20

    package static func encode(_ deployment: RedisDeployment) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(deployment), as: UTF8.self)
    }

    /// `place` names where the record is and `removal` how to remove it, for the error: without a
    /// record the next command reads the size from the nodes.
    package static func decode(_ text: String, place: String, removal: String) throws -> RedisDeployment {
        guard text.utf8.count <= maximumBytes else {
            throw GeneralFailure(.cannotRun, "\(place) holds \(text.utf8.count) bytes, more than a deployed spec can be; "
                                 + "\(removal) and the next command reads the size from the nodes")
        }
        do {
            let deployment = try JSONDecoder().decode(RedisDeployment.self, from: Data(text.utf8))
            if let problem = SpecValidator.validate(deployment) { throw problem }
            return deployment
        } catch {
            throw GeneralFailure(.cannotRun, "\(place) is not a deployed spec redisctl can read (\(oneLine(error))); "
                                 + "\(removal) and the next command reads the size from the nodes")
        }
    }

    package static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ").prefix(200).description
    }
}
