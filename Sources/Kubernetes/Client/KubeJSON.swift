import Foundation
import RedisCtlCore

/// A JSON value as the API server sends it: objects are read by path (`json["status"]["readyReplicas"].int`)
/// without a typed model for every kind.
public enum KubeJSON: Sendable, Equatable, Hashable {
    case object([String: KubeJSON])
    case array([KubeJSON])
    case string(String)
    /// Integers are kept apart from other numbers so counts and ports round-trip exactly.
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case null

    /// Missing keys and out-of-range indices read as `.null`, so paths can be chained.
    public subscript(key: String) -> KubeJSON {
        get {
            guard case .object(let fields) = self else { return .null }
            return fields[key] ?? .null
        }
        set {
            guard case .object(var fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    public subscript(index: Int) -> KubeJSON {
        guard case .array(let items) = self, items.indices.contains(index) else { return .null }
        return items[index]
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .double(let value): return Int(exactly: value)
        default: return nil
        }
    }

    public var number: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var array: [KubeJSON]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var object: [String: KubeJSON]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    public var isNull: Bool { self == .null }

    public init(data: Data) throws {
        self = try JSONDecoder().decode(KubeJSON.self, from: data)
    }

    /// Compact JSON with sorted keys, so equal values encode to equal bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public func jsonString() throws -> String {
        String(decoding: try jsonData(), as: UTF8.self)
    }
}

extension KubeJSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([KubeJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: KubeJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let fields): try container.encode(fields)
        case .array(let items): try container.encode(items)
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

extension KubeJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: KubeJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, KubeJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension KubeJSON {
    /// This value as a typed read model. Fails, naming what was read, when the server's object lacks
    /// a field the model needs or holds one of another type.
    public func decode<Model: Decodable>(_ type: Model.Type, what: String) throws -> Model {
        do {
            return try JSONDecoder().decode(Model.self, from: try jsonData())
        } catch {
            throw KubernetesReadError(what: what, reason: "\(error)")
        }
    }
}

/// An object from the API server that does not have the shape its kind should have.
public struct KubernetesReadError: RedisCtlFailure {
    public let what: String
    public let reason: String
    public var category: FailureCategory { .operationFailed }
    public var message: String {
        "the API server sent \(what) that cannot be read (\(reason.prefix(300))); check the API server and the object"
    }
}
