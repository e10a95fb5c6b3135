/// Decoding helpers that make the spec strict about unknown fields and lenient about missing ones:
/// every field is optional (the seed's numbers fill in), but a typo must not be silently ignored.

struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

/// Thrown when a mapping has a key its type does not know; carries the full coding path.
struct UnknownFieldError: Error {
    let path: [any CodingKey]
    let field: String
}

extension Decoder {
    /// Fails on any key not in `Keys`, so `replicasPerMster: 2` is an error rather than a default.
    func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let raw = try container(keyedBy: AnyCodingKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        for key in raw.allKeys where !known.contains(key.stringValue) {
            throw UnknownFieldError(path: codingPath, field: key.stringValue)
        }
    }
}

extension KeyedDecodingContainer {
    /// The value when present, else the default.
    func value<T: Decodable>(_ key: Key, or fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}
