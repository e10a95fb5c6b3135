/// The `apps/v1` API group.
public enum AppsV1 {}

extension AppsV1 {
    public struct StatefulSet: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true)
        public var apiVersion = "apps/v1"
        public var kind = "StatefulSet"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var serviceName: String
            public var replicas: Int
            /// `Parallel` starts all pods at once: cluster nodes wait for each other, not for ordinals.
            public var podManagementPolicy: String?
            public var updateStrategy: UpdateStrategy?
            public var selector: LabelSelector
            public var template: CoreV1.PodTemplateSpec
            public var volumeClaimTemplates: [CoreV1.PersistentVolumeClaim]?
            public var persistentVolumeClaimRetentionPolicy: RetentionPolicy?

            public init(
                serviceName: String,
                replicas: Int,
                podManagementPolicy: String? = nil,
                updateStrategy: UpdateStrategy? = nil,
                selector: LabelSelector,
                template: CoreV1.PodTemplateSpec,
                volumeClaimTemplates: [CoreV1.PersistentVolumeClaim]? = nil,
                persistentVolumeClaimRetentionPolicy: RetentionPolicy? = nil
            ) {
                self.serviceName = serviceName
                self.replicas = replicas
                self.podManagementPolicy = podManagementPolicy
                self.updateStrategy = updateStrategy
                self.selector = selector
                self.template = template
                self.volumeClaimTemplates = volumeClaimTemplates
                self.persistentVolumeClaimRetentionPolicy = persistentVolumeClaimRetentionPolicy
            }
        }

        public struct UpdateStrategy: Codable, Sendable, Equatable {
            /// `RollingUpdate` or `OnDelete`.
            public var type: String
            public var rollingUpdate: RollingUpdate?
            public init(type: String, rollingUpdate: RollingUpdate? = nil) {
                self.type = type
                self.rollingUpdate = rollingUpdate
            }
        }

        public struct RollingUpdate: Codable, Sendable, Equatable {
            /// Only pods with an ordinal at or above the partition are updated to a new template.
            public var partition: Int?
            public init(partition: Int? = nil) { self.partition = partition }
        }

        /// What happens to the volumes when the set is deleted or scaled down.
        public struct RetentionPolicy: Codable, Sendable, Equatable {
            public var whenDeleted: String
            public var whenScaled: String
            public init(whenDeleted: String, whenScaled: String) {
                self.whenDeleted = whenDeleted
                self.whenScaled = whenScaled
            }
        }
    }
}
