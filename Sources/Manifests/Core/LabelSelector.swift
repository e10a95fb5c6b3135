/// Selects objects by labels (`matchLabels`, `matchExpressions`).
public struct LabelSelector: Codable, Sendable, Equatable {
    public var matchLabels: SortedMap<String>?
    public var matchExpressions: [LabelSelectorRequirement]?

    public init(matchLabels: SortedMap<String>? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }
}

public struct LabelSelectorRequirement: Codable, Sendable, Equatable {
    public var key: String
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}
