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
        var deployment: RedisDeployment
        do {
            // An empty file means "all defaults", like an empty object.
            let trimmed = yaml.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty {
                deployment = .defaults
            } else {
                // The decoder's own resolver (merge keys only); the parser owns the anchors while decoding.
                let parser = try Parser(yaml: yaml, resolver: Resolver.basic.appending(.merge))
                deployment = try withExtendedLifetime(parser) {
                    var root = try parser.singleRoot() ?? ""
                    let extraConfig = try takeExtraConfig(from: &root)
                    var decoded = try YAMLDecoder().decode(RedisDeployment.self, from: root)
                    if let extraConfig { decoded.spec.redis.extraConfig = extraConfig }
                    return decoded
                }
            }
        } catch let error as SpecError {
            throw error.from(source)
        } catch let error as UnknownFieldError {
            throw SpecError(path: joined(error.path, error.field), reason: "unknown field", source: source)
        } catch let error as DecodingError {
            // The YAML decoder wraps errors thrown inside `init(from:)`.
            if case .dataCorrupted(let context) = error, let unknown = context.underlyingError as? UnknownFieldError {
                throw SpecError(path: joined(unknown.path, unknown.field), reason: "unknown field", source: source)
            }
            throw describe(error).from(source)
        } catch let error as YamlError {
            throw SpecError(path: "", reason: "not valid YAML: \(oneLine(error))", source: source)
        }
        try SpecValidator.validate(deployment).map { throw $0.from(source) }
        return deployment
    }

    /// Yams finds each key of a mapping by a scan, so decoding a dictionary costs time quadratic in
    /// its size; `spec.redis.extraConfig` may hold thousands of keys, so it is read here in one pass
    /// and left empty for the decoder. Nil when the spec has none (or not as a mapping: the decoder
    /// then reports the type).
    private static func takeExtraConfig(from root: inout Node) throws -> [String: String]? {
        guard var top = root.mapping, var spec = top["spec"]?.mapping, var redis = spec["redis"]?.mapping,
              let extra = redis["extraConfig"]?.mapping else { return nil }
        var values: [String: String] = [:]
        values.reserveCapacity(extra.count)
        for (key, value) in extra {
            guard let name = key.scalar?.string else {
                throw SpecError(path: "spec.redis.extraConfig", reason: "keys must be directive names")
            }
            guard let text = value.scalar?.string else {
                throw SpecError(path: "spec.redis.extraConfig.\(name)", reason: "expected a string")
            }
            values[name] = text
        }
        redis["extraConfig"] = Node([(Node, Node)]())
        spec["redis"] = .mapping(redis)
        top["spec"] = .mapping(spec)
        root = .mapping(top)
        return values
    }

    /// A YAML error as one line with where it is: Yams's own text spans lines and draws a caret.
    private static func oneLine(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let within = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(within)"
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return "duplicate key \(keys) in the mapping at line \(context.mark.line), column \(context.mark.column)"
        default:
            return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        }
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
