/// CPU and memory for one Redis pod (seed: requests 2 CPU / 8Gi, limits 4 CPU / 16Gi).
public struct ResourcesSpec: Codable, Sendable, Equatable {
    public var requests: ResourceAmounts
    public var limits: ResourceAmounts

    public init(requests: ResourceAmounts = .init(cpu: "2", memory: "8Gi"),
                limits: ResourceAmounts = .init(cpu: "4", memory: "16Gi")) {
        self.requests = requests
        self.limits = limits
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case requests, limits }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ResourcesSpec()
        requests = try c.value(.requests, or: d.requests)
        limits = try c.value(.limits, or: d.limits)
    }
}

public struct ResourceAmounts: Codable, Sendable, Equatable {
    public var cpu: Quantity
    public var memory: Quantity

    public init(cpu: Quantity, memory: Quantity) {
        self.cpu = cpu
        self.memory = memory
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case cpu, memory }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // A partial block (only cpu) keeps the seed's other number.
        let d = ResourcesSpec().requests
        cpu = try c.value(.cpu, or: d.cpu)
        memory = try c.value(.memory, or: d.memory)
    }
}

/// The data volume of each pod (seed: 100Gi SSD).
public struct StorageSpec: Codable, Sendable, Equatable {
    public var size: Quantity
    public var storageClassName: String?

    public init(size: Quantity = "100Gi", storageClassName: String? = nil) {
        self.size = size
        self.storageClassName = storageClassName
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case size, storageClassName }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        size = try c.value(.size, or: StorageSpec().size)
        storageClassName = try c.decodeIfPresent(String.self, forKey: .storageClassName)
    }
}
