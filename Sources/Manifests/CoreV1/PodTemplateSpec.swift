extension CoreV1 {
    /// The pod a controller stamps out.
    public struct PodTemplateSpec: Codable, Sendable, Equatable {
        public var metadata: TemplateMetadata
        public var spec: PodSpec

        public init(metadata: TemplateMetadata, spec: PodSpec) {
            self.metadata = metadata
            self.spec = spec
        }
    }

    /// Template metadata: labels and annotations only; the controller names the objects.
    public struct TemplateMetadata: Codable, Sendable, Equatable {
        public var labels: SortedMap<String>?
        public var annotations: SortedMap<String>?

        public init(labels: SortedMap<String>? = nil, annotations: SortedMap<String>? = nil) {
            self.labels = labels
            self.annotations = annotations
        }
    }
}
