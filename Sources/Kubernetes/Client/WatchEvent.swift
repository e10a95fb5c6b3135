/// One change seen by a watch: ADDED, MODIFIED, DELETED or BOOKMARK, with the object as it is after it.
public struct WatchEvent: Sendable, Equatable {
    public var type: String
    public var object: KubeJSON

    public init(type: String, object: KubeJSON) {
        self.type = type
        self.object = object
    }
}
