extension CoreV1 {
    public struct ConfigMap: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)
        public var apiVersion = "v1"
        public var kind = "ConfigMap"
        public var metadata: ObjectMeta
        public var data: SortedMap<String>

        public init(metadata: ObjectMeta, data: SortedMap<String>) {
            self.metadata = metadata
            self.data = data
        }
    }
}
