/// A string-keyed map that encodes its keys in sorted order: Swift dictionaries iterate in random
/// order, and rendered manifests must be identical from run to run.
public struct SortedMap<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable,
    ExpressibleByDictionaryLiteral
{
    public var entries: [String: Value]

    public init(_ entries: [String: Value] = [:]) { self.entries = entries }

    public init(dictionaryLiteral elements: (String, Value)...) {
        // A repeated literal key keeps the last value instead of trapping.
        self.entries = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    public subscript(key: String) -> Value? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var sortedKeys: [String] { entries.keys.sorted() }

    /// This map with `other`'s entries added; `other` wins on a shared key.
    public func merging(_ other: SortedMap<Value>) -> SortedMap<Value> {
        SortedMap(entries.merging(other.entries, uniquingKeysWith: { _, new in new }))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicKey.self)
        var entries: [String: Value] = [:]
        for key in container.allKeys {
            entries[key.stringValue] = try container.decode(Value.self, forKey: key)
        }
        self.entries = entries
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for key in sortedKeys {
            if let value = entries[key] {
                try container.encode(value, forKey: DynamicKey(key))
            }
        }
    }
}

/// A coding key made from any string.
struct DynamicKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { self.stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
