/// A Kubernetes resource quantity (`2`, `500m`, `8Gi`, `1e3`), kept as written so that rendered
/// manifests say exactly what the operator wrote, and checked so a typo fails early.
public struct Quantity: Codable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let text: String

    /// Suffixes Kubernetes accepts, with their multipliers.
    private static let suffixes: [(String, Double)] = [
        ("Ki", 0x1p10), ("Mi", 0x1p20), ("Gi", 0x1p30), ("Ti", 0x1p40), ("Pi", 0x1p50), ("Ei", 0x1p60),
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12),
        ("P", 1e15), ("E", 1e18),
    ]

    /// nil when `text` is not a valid quantity.
    public init?(parsing text: String) {
        guard Quantity.numericValue(of: text) != nil else { return nil }
        self.text = text
    }

    public init(stringLiteral value: String) { self.text = value }

    public var description: String { text }

    /// The quantity in base units (bytes, cores); nil when malformed.
    public var value: Double? { Quantity.numericValue(of: text) }

    private static func numericValue(of text: String) -> Double? {
        guard !text.isEmpty, !text.hasPrefix("+") else { return nil }
        var number = Substring(text)
        var multiplier = 1.0
        for (suffix, factor) in suffixes where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            multiplier = factor
            break
        }
        // Decimal exponent form (1e3) has no suffix; Double parses it.
        guard !number.isEmpty,
              number.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" }),
              let value = Double(number), value >= 0, value.isFinite
        else { return nil }
        return value * multiplier
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // YAML gives `cpu: 2` as a number; accept it as the text Kubernetes would.
        let raw: String
        if let int = try? container.decode(Int.self) {
            raw = String(int)
        } else if let double = try? container.decode(Double.self) {
            raw = String(double)
        } else {
            raw = try container.decode(String.self)
        }
        guard let parsed = Quantity(parsing: raw) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(raw)' is not a Kubernetes quantity (e.g. 2, 500m, 8Gi)")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
