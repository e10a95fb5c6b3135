extension CoreV1 {
    public struct Probe: Codable, Sendable, Equatable {
        public var exec: ExecAction?
        public var tcpSocket: TCPSocketAction?
        public var initialDelaySeconds: Int?
        public var periodSeconds: Int?
        public var timeoutSeconds: Int?
        public var successThreshold: Int?
        public var failureThreshold: Int?

        public init(
            exec: ExecAction? = nil,
            tcpSocket: TCPSocketAction? = nil,
            initialDelaySeconds: Int? = nil,
            periodSeconds: Int? = nil,
            timeoutSeconds: Int? = nil,
            successThreshold: Int? = nil,
            failureThreshold: Int? = nil
        ) {
            self.exec = exec
            self.tcpSocket = tcpSocket
            self.initialDelaySeconds = initialDelaySeconds
            self.periodSeconds = periodSeconds
            self.timeoutSeconds = timeoutSeconds
            self.successThreshold = successThreshold
            self.failureThreshold = failureThreshold
        }
    }

    public struct ExecAction: Codable, Sendable, Equatable {
        public var command: [String]
        public init(command: [String]) { self.command = command }
    }

    public struct TCPSocketAction: Codable, Sendable, Equatable {
        public var port: IntOrString
        public init(port: IntOrString) { self.port = port }
    }
}
