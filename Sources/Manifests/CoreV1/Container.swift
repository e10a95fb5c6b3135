import Spec

extension CoreV1 {
    public struct Container: Codable, Sendable, Equatable {
        public var name: String
        public var image: String
        public var imagePullPolicy: String?
        public var command: [String]?
        public var args: [String]?
        public var ports: [ContainerPort]?
        public var env: [EnvVar]?
        public var resources: ResourceRequirements?
        public var volumeMounts: [VolumeMount]?
        public var startupProbe: Probe?
        public var livenessProbe: Probe?
        public var readinessProbe: Probe?
        public var lifecycle: Lifecycle?
        public var securityContext: SecurityContext?

        public init(
            name: String,
            image: String,
            imagePullPolicy: String? = "IfNotPresent",
            command: [String]? = nil,
            args: [String]? = nil,
            ports: [ContainerPort]? = nil,
            env: [EnvVar]? = nil,
            resources: ResourceRequirements? = nil,
            volumeMounts: [VolumeMount]? = nil,
            startupProbe: Probe? = nil,
            livenessProbe: Probe? = nil,
            readinessProbe: Probe? = nil,
            lifecycle: Lifecycle? = nil,
            securityContext: SecurityContext? = nil
        ) {
            self.name = name
            self.image = image
            self.imagePullPolicy = imagePullPolicy
            self.command = command
            self.args = args
            self.ports = ports
            self.env = env
            self.resources = resources
            self.volumeMounts = volumeMounts
            self.startupProbe = startupProbe
            self.livenessProbe = livenessProbe
            self.readinessProbe = readinessProbe
            self.lifecycle = lifecycle
            self.securityContext = securityContext
        }
    }

    public struct ContainerPort: Codable, Sendable, Equatable {
        public var name: String
        public var containerPort: Int
        public var `protocol`: String?

        public init(name: String, containerPort: Int, protocol: String? = "TCP") {
            self.name = name
            self.containerPort = containerPort
            self.protocol = `protocol`
        }
    }

    public struct ResourceRequirements: Codable, Sendable, Equatable {
        public var requests: SortedMap<Quantity>?
        public var limits: SortedMap<Quantity>?

        public init(requests: SortedMap<Quantity>? = nil, limits: SortedMap<Quantity>? = nil) {
            self.requests = requests
            self.limits = limits
        }
    }

    public struct VolumeMount: Codable, Sendable, Equatable {
        public var name: String
        public var mountPath: String
        public var subPath: String?
        public var readOnly: Bool?

        public init(name: String, mountPath: String, subPath: String? = nil, readOnly: Bool? = nil) {
            self.name = name
            self.mountPath = mountPath
            self.subPath = subPath
            self.readOnly = readOnly
        }
    }

    public struct Lifecycle: Codable, Sendable, Equatable {
        public var preStop: LifecycleHandler?
        public init(preStop: LifecycleHandler? = nil) { self.preStop = preStop }
    }

    public struct LifecycleHandler: Codable, Sendable, Equatable {
        public var exec: ExecAction?
        public init(exec: ExecAction? = nil) { self.exec = exec }
    }
}
