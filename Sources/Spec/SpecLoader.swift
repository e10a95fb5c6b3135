import Foundation
import Yams

/// Reads a `RedisDeployment` from YAML and validates it; every problem names its field path.
public enum SpecLoader {
    /// Loads and validates the spec at `path`.
    public static func load(path: String) throws -> RedisDeployment {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SpecError(path: "", reason: "cannot read the file (\(error.localizedDescription))", source: path)
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses and validates a spec given as YAML text; `source` names it in errors.
    public static func parse(yaml: String, source: String? = nil) throws -> RedisDeployment {
        let deployment: RedisDeployment
        do {
            // An empty file means "all defaults", like an empty object.
            let trimmed = yaml.trimmingCharacters(in: .whitespacesAndNewlines)
            deployment = trimmed.isEmpty ? .defaults : try YAMLDecoder().decode(RedisDeployment.self, from: yaml)
        } catch let error as UnknownFieldError {
            throw SpecError(path: joined(error.path, error.field), reason: "unknown field", source: source)
        } catch let error as DecodingError {
            // The YAML decoder wraps errors thrown inside `init(from:)`.
            if case .dataCorrupted(let context) = error, let unknown = context.underlyingError as? UnknownFieldError {
                throw SpecError(path: joined(unknown.path, unknown.field), reason: "unknown field", source: source)
            }
            throw describe(error).from(source)
        } catch let error as YamlError {
            throw SpecError(path: "", reason: "not valid YAML: \(error)", source: source)
        }
        try SpecValidator.validate(deployment).map { throw $0.from(source) }
        return deployment
    }

    private static func joined(_ path: [any CodingKey], _ last: String? = nil) -> String {
        var parts = path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
        if let last { parts.append(last) }
        return parts.reduce("") { result, part in
            part.hasPrefix("[") || result.isEmpty ? result + part : result + "." + part
        }
    }

    private static func describe(_ error: DecodingError) -> SpecError {
        switch error {
        case .typeMismatch(let type, let context):
            return SpecError(path: joined(context.codingPath), reason: "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return SpecError(path: joined(context.codingPath), reason: "expected \(typeName(type)), found null")
        case .keyNotFound(let key, let context):
            return SpecError(path: joined(context.codingPath, key.stringValue), reason: "required field is missing")
        case .dataCorrupted(let context):
            return SpecError(path: joined(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return SpecError(path: "", reason: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is Double.Type: "a number"
        default: "\(type)".hasPrefix("Array") ? "a list" : "a mapping"
        }
    }
}
