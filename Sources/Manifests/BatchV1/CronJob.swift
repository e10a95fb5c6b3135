/// The `batch/v1` API group.
public enum BatchV1 {}

extension BatchV1 {
    public struct CronJob: KubernetesObject, Equatable {
        public static let resource = APIResource(
            group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", namespaced: true)
        public var apiVersion = "batch/v1"
        public var kind = "CronJob"
        public var metadata: ObjectMeta
        public var spec: Spec

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }

        public struct Spec: Codable, Sendable, Equatable {
            public var schedule: String
            /// Cron schedules are read in this zone (Kubernetes 1.27+); UTC so "02:00" means 02:00 UTC.
            public var timeZone: String?
            /// `Forbid`: a backup still running blocks the next one instead of racing it.
            public var concurrencyPolicy: String?
            public var startingDeadlineSeconds: Int?
            public var successfulJobsHistoryLimit: Int?
            public var failedJobsHistoryLimit: Int?
            public var jobTemplate: JobTemplateSpec

            public init(
                schedule: String,
                timeZone: String? = nil,
                concurrencyPolicy: String? = nil,
                startingDeadlineSeconds: Int? = nil,
                successfulJobsHistoryLimit: Int? = nil,
                failedJobsHistoryLimit: Int? = nil,
                jobTemplate: JobTemplateSpec
            ) {
                self.schedule = schedule
                self.timeZone = timeZone
                self.concurrencyPolicy = concurrencyPolicy
                self.startingDeadlineSeconds = startingDeadlineSeconds
                self.successfulJobsHistoryLimit = successfulJobsHistoryLimit
                self.failedJobsHistoryLimit = failedJobsHistoryLimit
                self.jobTemplate = jobTemplate
            }
        }

        public struct JobTemplateSpec: Codable, Sendable, Equatable {
            public var metadata: CoreV1.TemplateMetadata?
            public var spec: JobSpec
            public init(metadata: CoreV1.TemplateMetadata? = nil, spec: JobSpec) {
                self.metadata = metadata
                self.spec = spec
            }
        }
    }

    public struct JobSpec: Codable, Sendable, Equatable {
        public var backoffLimit: Int?
        public var activeDeadlineSeconds: Int?
        public var ttlSecondsAfterFinished: Int?
        public var template: CoreV1.PodTemplateSpec

        public init(
            backoffLimit: Int? = nil,
            activeDeadlineSeconds: Int? = nil,
            ttlSecondsAfterFinished: Int? = nil,
            template: CoreV1.PodTemplateSpec
        ) {
            self.backoffLimit = backoffLimit
            self.activeDeadlineSeconds = activeDeadlineSeconds
            self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
            self.template = template
        }
    }
}
