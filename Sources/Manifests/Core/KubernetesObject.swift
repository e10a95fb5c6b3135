/// Where a kind lives in the Kubernetes API: what a REST client needs to build its URLs.
public struct APIResource: Sendable, Hashable {
    /// The API group; empty for the core ("legacy") group.
    public let group: String
    public let version: String
    public let kind: String
    /// The lower-case plural used in URLs ("statefulsets").
    public let plural: String
    public let namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The collection path: `/api/v1/namespaces/NS/services`, `/apis/apps/v1/namespaces/NS/statefulsets`,
    /// `/api/v1/namespaces` for cluster-scoped kinds (the namespace is then ignored).
    public func collectionPath(namespace: String?) -> String {
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace {
            return "\(root)/namespaces/\(namespace)/\(plural)"
        }
        return "\(root)/\(plural)"
    }

    /// The path of one object, as server-side apply PATCHes it.
    public func objectPath(name: String, namespace: String?) -> String {
        "\(collectionPath(namespace: namespace))/\(name)"
    }
}

/// A typed Kubernetes object. Conformers declare `apiVersion`, `kind` and `metadata` first so the
/// rendered YAML starts with them.
public protocol KubernetesObject: Codable, Sendable {
    static var resource: APIResource { get }
    var apiVersion: String { get }
    var kind: String { get }
    var metadata: ObjectMeta { get set }
}

extension KubernetesObject {
    public var resource: APIResource { Self.resource }
    /// The object's URL path for server-side apply.
    public var objectPath: String {
        Self.resource.objectPath(name: metadata.name, namespace: metadata.namespace)
    }
    /// `Kind/name` (with the namespace when there is one), for messages.
    public var displayName: String {
        if let namespace = metadata.namespace { return "\(kind) \(namespace)/\(metadata.name)" }
        return "\(kind) \(metadata.name)"
    }
}
