extension CoreV1 {
    /// A Secret. Values go in `stringData`; a rendered Secret without values still names its keys
    /// in an annotation so the reader knows what to fill in.
    public struct Secret: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)
        public var apiVersion = "v1"
        public var kind = "Secret"
        public var metadata: ObjectMeta
        public var type: String?
        /// Base64 values, as the API server stores them (what `deploy` sends when it creates one).
        public var data: SortedMap<String>?
        public var stringData: SortedMap<String>?

        public init(metadata: ObjectMeta, type: String? = nil, data: SortedMap<String>? = nil,
                    stringData: SortedMap<String>? = nil) {
            self.metadata = metadata
            self.type = type
            self.data = data
            self.stringData = stringData
        }
    }
}
