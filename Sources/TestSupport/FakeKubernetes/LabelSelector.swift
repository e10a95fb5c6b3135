import Foundation

/// A parsed `labelSelector` query: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`, comma-joined.
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case doesNotExist(String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
    }

    var requirements: [Requirement]

    /// nil when the selector does not parse (the server answers 400).
    init?(_ text: String) {
        requirements = []
        for clause in Self.splitClauses(text) {
            let part = clause.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            if let range = part.range(of: " notin ") ?? part.range(of: " in ") {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                var values = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard values.hasPrefix("("), values.hasSuffix(")"), !key.isEmpty else { return nil }
                values = String(values.dropFirst().dropLast())
                let set = Set(values.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                requirements.append(part[range].contains("notin") ? .notIn(key, set) : .isIn(key, set))
            } else if let range = part.range(of: "!=") {
                requirements.append(.notEquals(Self.trim(part[..<range.lowerBound]), Self.trim(part[range.upperBound...])))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                requirements.append(.equals(Self.trim(part[..<range.lowerBound]), Self.trim(part[range.upperBound...])))
            } else if part.hasPrefix("!") {
                requirements.append(.doesNotExist(Self.trim(part.dropFirst())))
            } else {
                requirements.append(.exists(part))
            }
        }
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            }
        }
    }

    private static func trim(_ text: Substring) -> String { text.trimmingCharacters(in: .whitespaces) }

    /// Splits on commas outside parentheses.
    private static func splitClauses(_ text: String) -> [String] {
        var clauses: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: clauses.append(current); current = ""
            default: current.append(character)
            }
        }
        clauses.append(current)
        return clauses
    }
}
