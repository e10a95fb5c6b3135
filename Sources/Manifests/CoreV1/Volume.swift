import Spec

extension CoreV1 {
    public struct Volume: Codable, Sendable, Equatable {
        public var name: String
        public var emptyDir: EmptyDirVolumeSource?
        public var configMap: ConfigMapVolumeSource?
        public var secret: SecretVolumeSource?

        public init(
            name: String,
            emptyDir: EmptyDirVolumeSource? = nil,
            configMap: ConfigMapVolumeSource? = nil,
            secret: SecretVolumeSource? = nil
        ) {
            self.name = name
            self.emptyDir = emptyDir
            self.configMap = configMap
            self.secret = secret
        }
    }

    public struct EmptyDirVolumeSource: Codable, Sendable, Equatable {
        public var medium: String?
        public var sizeLimit: Quantity?
        public init(medium: String? = nil, sizeLimit: Quantity? = nil) {
            self.medium = medium
            self.sizeLimit = sizeLimit
        }
    }

    public struct ConfigMapVolumeSource: Codable, Sendable, Equatable {
        public var name: String
        public var defaultMode: Int?
        public init(name: String, defaultMode: Int? = nil) {
            self.name = name
            self.defaultMode = defaultMode
        }
    }

    public struct SecretVolumeSource: Codable, Sendable, Equatable {
        public var secretName: String
        public var defaultMode: Int?
        public init(secretName: String, defaultMode: Int? = nil) {
            self.secretName = secretName
            self.defaultMode = defaultMode
        }
    }
}
