import Foundation
import Yams

/// Turns a YAML or JSON manifest into one JSON object. The API server takes YAML for apply, but JSON
/// is YAML too, and parsing here rejects a malformed or multi-document body before it is sent.
enum ManifestBody {
    static func jsonObject(from text: String) throws -> KubeJSON {
        // Timestamps stay strings: an annotation like `2024-01-01` must not become a date.
        let resolver = Resolver.default.removing(.timestamp)
        var documents: [Node] = []
        do {
            var sequence = try Yams.compose_all(yaml: text, resolver)
            while let document = sequence.next() { documents.append(document) }
            if let error = sequence.error { throw error }
        } catch {
            throw KubernetesAPIError.invalidRequest("manifest is not valid YAML or JSON: \(error)")
        }
        guard documents.count == 1, let document = documents.first else {
            throw KubernetesAPIError.invalidRequest("expected exactly one object in the manifest, found \(documents.count)")
        }
        let value = try convert(document)
        guard case .object = value else {
            throw KubernetesAPIError.invalidRequest("manifest is not an object")
        }
        return value
    }

    private static func convert(_ node: Node) throws -> KubeJSON {
        switch node {
        case .mapping(let mapping):
            var fields: [String: KubeJSON] = [:]
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw KubernetesAPIError.invalidRequest("manifest has a non-string key")
                }
                fields[name] = try convert(value)
            }
            return .object(fields)
        case .sequence(let sequence):
            return .array(try sequence.map(convert))
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(KubeJSON.bool) ?? .string(scalar.string)
            case .int: return node.int.map(KubeJSON.integer) ?? .string(scalar.string)
            case .float: return node.float.map(KubeJSON.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .alias:
            throw KubernetesAPIError.invalidRequest("manifest uses a YAML alias; expand it first")
        }
    }
}
