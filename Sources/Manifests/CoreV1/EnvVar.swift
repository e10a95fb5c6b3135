extension CoreV1 {
    public struct EnvVar: Codable, Sendable, Equatable {
        public var name: String
        public var value: String?
        public var valueFrom: EnvVarSource?

        public init(name: String, value: String) {
            self.name = name
            self.value = value
            self.valueFrom = nil
        }

        public init(name: String, valueFrom: EnvVarSource) {
            self.name = name
            self.value = nil
            self.valueFrom = valueFrom
        }

        /// A variable read from a key of a Secret.
        public static func fromSecret(_ name: String, secret: String, key: String, optional: Bool? = nil) -> EnvVar {
            EnvVar(name: name, valueFrom: EnvVarSource(secretKeyRef: KeySelector(name: secret, key: key, optional: optional)))
        }

        /// A variable from the pod's own fields via the downward API (`status.podIP`, `metadata.name`).
        public static func fromField(_ name: String, fieldPath: String) -> EnvVar {
            EnvVar(name: name, valueFrom: EnvVarSource(fieldRef: FieldSelector(fieldPath: fieldPath)))
        }
    }

    public struct EnvVarSource: Codable, Sendable, Equatable {
        public var secretKeyRef: KeySelector?
        public var fieldRef: FieldSelector?

        public init(secretKeyRef: KeySelector? = nil, fieldRef: FieldSelector? = nil) {
            self.secretKeyRef = secretKeyRef
            self.fieldRef = fieldRef
        }
    }

    public struct KeySelector: Codable, Sendable, Equatable {
        public var name: String
        public var key: String
        public var optional: Bool?

        public init(name: String, key: String, optional: Bool? = nil) {
            self.name = name
            self.key = key
            self.optional = optional
        }
    }

    public struct FieldSelector: Codable, Sendable, Equatable {
        public var apiVersion: String?
        public var fieldPath: String

        public init(fieldPath: String) {
            self.apiVersion = "v1"
            self.fieldPath = fieldPath
        }
    }
}
