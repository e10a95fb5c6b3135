/// The metadata every object carries; label and annotation keys render sorted.
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var labels: SortedMap<String>?
    public var annotations: SortedMap<String>?

    public init(
        name: String,
        namespace: String? = nil,
        labels: SortedMap<String>? = nil,
        annotations: SortedMap<String>? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}
