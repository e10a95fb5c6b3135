/// Every item of a collection, gathered across pages, with the list's resourceVersion to watch from.
public struct KubeList: Sendable {
    public var items: [KubeJSON]
    public var resourceVersion: String

    public init(items: [KubeJSON], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}
