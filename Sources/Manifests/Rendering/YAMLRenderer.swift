import Foundation
import Yams

/// Renders typed objects as YAML: keys in declaration order (apiVersion, kind, metadata, then the
/// rest), map keys sorted, no `null`s, and every string quoted where a YAML 1.1 reader would take
/// it for something else.
public enum YAMLRenderer {
    /// One object as one YAML document (starting with `---`).
    public static func render(_ object: any KubernetesObject) throws -> String {
        try renderDocument(object, name: object.displayName)
    }

    /// Objects as a multi-document stream, in the order given.
    public static func render(_ objects: [any KubernetesObject]) throws -> String {
        try objects.map { try render($0) }.joined()
    }

    /// Any encodable value as one YAML document with the same rules (for Helm values).
    public static func renderDocument(_ value: some Encodable, name: String) throws -> String {
        let encoder = YAMLEncoder()
        encoder.options = options
        do {
            let text = try encoder.encode(value)
            // Yams quotes what its YAML 1.1 resolver reads as another type, but not y/n/Y/N; a round
            // trip through the node tree lets us settle every scalar's style here.
            guard let node = try Yams.compose(yaml: text) else { return "---\n" }
            return try Yams.serialize(
                node: quoteAmbiguousStrings(node),
                indent: options.indent,
                width: options.width,
                explicitStart: true,
                newLineScalarStyle: .literal)
        } catch let error as ManifestsError {
            throw error
        } catch {
            throw ManifestsError.encodingFailed(object: name, reason: "\(error)")
        }
    }

    private static var options: YAMLEncoder.Options {
        YAMLEncoder.Options(indent: 2, width: -1, newLineScalarStyle: .literal)
    }

    /// Booleans in YAML 1.1 that Yams' resolver leaves plain; everything else it reads as
    /// another type (yes, on, 0755, 1e3, null, 1:20, timestamps) it already quotes.
    private static let yaml11OnlyBooleans: Set<String> = ["y", "Y", "n", "N"]

    private static func quoteAmbiguousStrings(_ node: Node) -> Node {
        switch node {
        case .scalar(var scalar):
            // A plain y/n is a string to Yams' resolver but a boolean to YAML 1.1 readers.
            let isPlain = scalar.style == .plain || scalar.style == .any
            if isPlain, yaml11OnlyBooleans.contains(scalar.string) {
                scalar.style = .doubleQuoted
            }
            return .scalar(scalar)
        case .mapping(var mapping):
            mapping = Node.Mapping(
                mapping.map { (quoteAmbiguousStrings($0.key), quoteAmbiguousStrings($0.value)) },
                mapping.tag, mapping.style)
            return .mapping(mapping)
        case .sequence(var sequence):
            sequence = Node.Sequence(sequence.map(quoteAmbiguousStrings), sequence.tag, sequence.style)
            return .sequence(sequence)
        case .alias:
            return node
        }
    }
}
