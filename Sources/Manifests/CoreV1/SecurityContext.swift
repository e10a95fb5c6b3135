extension CoreV1 {
    public struct PodSecurityContext: Codable, Sendable, Equatable {
        public var runAsUser: Int?
        public var runAsGroup: Int?
        public var runAsNonRoot: Bool?
        public var fsGroup: Int?
        public var fsGroupChangePolicy: String?
        public var seccompProfile: SeccompProfile?

        public init(
            runAsUser: Int? = nil,
            runAsGroup: Int? = nil,
            runAsNonRoot: Bool? = nil,
            fsGroup: Int? = nil,
            fsGroupChangePolicy: String? = nil,
            seccompProfile: SeccompProfile? = nil
        ) {
            self.runAsUser = runAsUser
            self.runAsGroup = runAsGroup
            self.runAsNonRoot = runAsNonRoot
            self.fsGroup = fsGroup
            self.fsGroupChangePolicy = fsGroupChangePolicy
            self.seccompProfile = seccompProfile
        }
    }

    public struct SecurityContext: Codable, Sendable, Equatable {
        public var runAsUser: Int?
        public var runAsGroup: Int?
        public var runAsNonRoot: Bool?
        public var readOnlyRootFilesystem: Bool?
        public var allowPrivilegeEscalation: Bool?
        public var privileged: Bool?
        public var capabilities: Capabilities?
        public var seccompProfile: SeccompProfile?

        public init(
            runAsUser: Int? = nil,
            runAsGroup: Int? = nil,
            runAsNonRoot: Bool? = nil,
            readOnlyRootFilesystem: Bool? = nil,
            allowPrivilegeEscalation: Bool? = nil,
            privileged: Bool? = nil,
            capabilities: Capabilities? = nil,
            seccompProfile: SeccompProfile? = nil
        ) {
            self.runAsUser = runAsUser
            self.runAsGroup = runAsGroup
            self.runAsNonRoot = runAsNonRoot
            self.readOnlyRootFilesystem = readOnlyRootFilesystem
            self.allowPrivilegeEscalation = allowPrivilegeEscalation
            self.privileged = privileged
            self.capabilities = capabilities
            self.seccompProfile = seccompProfile
        }
    }

    public struct Capabilities: Codable, Sendable, Equatable {
        public var add: [String]?
        public var drop: [String]?
        public init(add: [String]? = nil, drop: [String]? = nil) {
            self.add = add
            self.drop = drop
        }
    }

    public struct SeccompProfile: Codable, Sendable, Equatable {
        /// `RuntimeDefault`, `Localhost` or `Unconfined`.
        public var type: String
        public init(type: String) { self.type = type }
    }
}
