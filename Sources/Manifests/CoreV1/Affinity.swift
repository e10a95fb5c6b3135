extension CoreV1 {
    public struct Affinity: Codable, Sendable, Equatable {
        public var podAntiAffinity: PodAntiAffinity?
        public init(podAntiAffinity: PodAntiAffinity? = nil) { self.podAntiAffinity = podAntiAffinity }
    }

    public struct PodAntiAffinity: Codable, Sendable, Equatable {
        public var requiredDuringSchedulingIgnoredDuringExecution: [PodAffinityTerm]?
        public var preferredDuringSchedulingIgnoredDuringExecution: [WeightedPodAffinityTerm]?

        public init(
            required: [PodAffinityTerm]? = nil,
            preferred: [WeightedPodAffinityTerm]? = nil
        ) {
            self.requiredDuringSchedulingIgnoredDuringExecution = required
            self.preferredDuringSchedulingIgnoredDuringExecution = preferred
        }
    }

    public struct PodAffinityTerm: Codable, Sendable, Equatable {
        public var labelSelector: LabelSelector
        public var topologyKey: String
        public init(labelSelector: LabelSelector, topologyKey: String) {
            self.labelSelector = labelSelector
            self.topologyKey = topologyKey
        }
    }

    public struct WeightedPodAffinityTerm: Codable, Sendable, Equatable {
        /// 1...100; higher wins.
        public var weight: Int
        public var podAffinityTerm: PodAffinityTerm
        public init(weight: Int, podAffinityTerm: PodAffinityTerm) {
            self.weight = weight
            self.podAffinityTerm = podAffinityTerm
        }
    }
}
