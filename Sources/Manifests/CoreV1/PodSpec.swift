extension CoreV1 {
    public struct PodSpec: Codable, Sendable, Equatable {
        public var serviceAccountName: String?
        public var automountServiceAccountToken: Bool?
        public var enableServiceLinks: Bool?
        public var restartPolicy: String?
        public var terminationGracePeriodSeconds: Int?
        public var securityContext: PodSecurityContext?
        public var affinity: Affinity?
        public var initContainers: [Container]?
        public var containers: [Container]
        public var volumes: [Volume]?

        public init(
            serviceAccountName: String? = nil,
            automountServiceAccountToken: Bool? = nil,
            enableServiceLinks: Bool? = nil,
            restartPolicy: String? = nil,
            terminationGracePeriodSeconds: Int? = nil,
            securityContext: PodSecurityContext? = nil,
            affinity: Affinity? = nil,
            initContainers: [Container]? = nil,
            containers: [Container],
            volumes: [Volume]? = nil
        ) {
            self.serviceAccountName = serviceAccountName
            self.automountServiceAccountToken = automountServiceAccountToken
            self.enableServiceLinks = enableServiceLinks
            self.restartPolicy = restartPolicy
            self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
            self.securityContext = securityContext
            self.affinity = affinity
            self.initContainers = initContainers
            self.containers = containers
            self.volumes = volumes
        }
    }
}
