/// What an API path names: `/api/v1/namespaces/NS/configmaps/NAME` or `/apis/apps/v1/statefulsets`.
/// Used to say in error messages which resource and namespace a refused request was about.
struct APIPath: Sendable, Equatable {
    var group: String
    var version: String
    var namespace: String?
    var resource: String
    var name: String?

    /// `statefulsets.apps`, `configmaps`: how RBAC names a resource.
    var qualifiedResource: String { group.isEmpty ? resource : "\(resource).\(group)" }

    init?(_ path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let root = parts.first else { return nil }
        parts.removeFirst()
        switch root {
        case "api":
            guard let version = parts.first else { return nil }
            group = ""
            self.version = version
            parts.removeFirst()
        case "apis":
            guard parts.count >= 2 else { return nil }
            group = parts[0]
            version = parts[1]
            parts.removeFirst(2)
        default:
            return nil
        }
        // `namespaces/NS/<resource>…` is namespaced; a bare `namespaces[/NAME]` is the Namespace resource itself.
        if parts.count >= 3, parts[0] == "namespaces" {
            namespace = parts[1]
            parts.removeFirst(2)
        } else {
            namespace = nil
        }
        guard let resource = parts.first else { return nil }
        self.resource = resource
        name = parts.count >= 2 ? parts[1] : nil
    }
}

/// Percent-encodes a query component, leaving only RFC 3986 unreserved characters as they are
/// (`+` must not reach the server raw: Go's query parser reads it as a space).
func encodeQueryComponent(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            result.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            result += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return result
}

func queryString(_ items: [(String, String)]) -> String {
    items.map { "\(encodeQueryComponent($0.0))=\(encodeQueryComponent($0.1))" }.joined(separator: "&")
}
