import Spec

extension CoreV1 {
    /// A claim; the StatefulSet uses it as a template (`volumeClaimTemplates`).
    public struct PersistentVolumeClaim: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims",
            namespaced: true)
        public var apiVersion = "v1"
        public var kind = "PersistentVolumeClaim"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var accessModes: [String]
            public var storageClassName: String?
            public var resources: VolumeResourceRequirements

            public init(accessModes: [String], storageClassName: String? = nil, resources: VolumeResourceRequirements) {
                self.accessModes = accessModes
                self.storageClassName = storageClassName
                self.resources = resources
            }
        }
    }

    public struct VolumeResourceRequirements: Codable, Sendable, Equatable {
        public var requests: SortedMap<Quantity>
        public init(requests: SortedMap<Quantity>) { self.requests = requests }
    }
}
