/// A Kubernetes resource quantity ("2", "500m", "8Gi", "1e3"), kept as the text the user wrote and
/// checked against the API server's grammar so a malformed value fails here, not at apply time.
public struct Quantity: Codable, Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// Parses `text`; throws when the API server would reject it.
    public init(_ text: String) throws {
        guard Quantity.isValid(text) else {
            throw ManifestsError.invalidQuantity(text)
        }
        self.text = text
    }

    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let number = try? container.decode(Int.self) {
            text = String(number)
        } else {
            text = try container.decode(String.self)
        }
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    private static let binarySuffixes: Set<String> = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
    private static let decimalSuffixes: Set<String> = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E"]

    /// `<sign><digits>[.<digits>]<suffix>` where the suffix is binary SI, decimal SI or an exponent.
    static func isValid(_ text: String) -> Bool {
        var rest = Substring(text)
        if let first = rest.first, first == "+" || first == "-" { rest = rest.dropFirst() }
        let integer = rest.prefix(while: \.isASCIIDigit)
        rest = rest.dropFirst(integer.count)
        var fraction = Substring("")
        if rest.first == "." {
            rest = rest.dropFirst()
            fraction = rest.prefix(while: \.isASCIIDigit)
            rest = rest.dropFirst(fraction.count)
        }
        guard !integer.isEmpty || !fraction.isEmpty else { return false }
        let suffix = String(rest)
        if binarySuffixes.contains(suffix) || decimalSuffixes.contains(suffix) { return true }
        guard let marker = suffix.first, marker == "e" || marker == "E" else { return false }
        var exponent = suffix.dropFirst()
        if let sign = exponent.first, sign == "+" || sign == "-" { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && exponent.allSatisfy(\.isASCIIDigit)
    }
}

extension Quantity: ExpressibleByStringLiteral {
    /// For constants written in this module's source; input from users goes through `init(_:)`.
    /// A malformed literal is a programming error caught by the tests, so it is kept as written
    /// rather than trapping.
    public init(stringLiteral value: String) {
        self.text = value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
