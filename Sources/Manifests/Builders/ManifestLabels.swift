import Spec

/// The recommended `app.kubernetes.io/*` labels. Selectors use only the stable subset (name,
/// instance, component): a selector can never change after a StatefulSet is created.
public struct ManifestLabels: Sendable {
    public static let nameKey = "app.kubernetes.io/name"
    public static let instanceKey = "app.kubernetes.io/instance"
    public static let componentKey = "app.kubernetes.io/component"
    public static let managedByKey = "app.kubernetes.io/managed-by"
    public static let partOfKey = "app.kubernetes.io/part-of"
    public static let versionKey = "app.kubernetes.io/version"

    public enum Component: String, Sendable {
        case redis, sentinel, metrics, backup, monitoring, namespace
    }

    let instance: String
    let redisVersion: String

    init(_ deployment: RedisDeployment) {
        instance = deployment.metadata.name
        // `redis:7.2-alpine` -> `7.2-alpine`; labels allow at most 63 characters.
        let tag = deployment.spec.image.split(separator: ":").last.map(String.init) ?? ""
        redisVersion = deployment.spec.image.contains(":") ? String(tag.prefix(63)) : "latest"
    }

    /// `redis` for Redis itself, `redis-sentinel` for Sentinel (the seed's log selectors).
    static func appName(_ component: Component) -> String {
        component == .sentinel ? "redis-sentinel" : "redis"
    }

    func selector(_ component: Component) -> SortedMap<String> {
        [Self.nameKey: Self.appName(component), Self.instanceKey: instance, Self.componentKey: component.rawValue]
    }

    func all(_ component: Component) -> SortedMap<String> {
        selector(component).merging([
            Self.managedByKey: "redisctl",
            Self.partOfKey: "redis",
            Self.versionKey: redisVersion,
        ])
    }

    /// Every object of this deployment, whatever its component (network policies, DNS egress).
    var instanceOnly: SortedMap<String> { [Self.instanceKey: instance] }
}
