import RedisCtlCore

/// Why a ClusterOps parse, plan or pre-check could not go on.
public struct ClusterOpsError: RedisCtlFailure, Equatable {
    /// What kind of problem it is, for callers that react differently to each.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case malformedClusterNodes
            case invalidLayout
            case notEnoughNodes
            case nodeNotEmpty
            case foreignCluster
            case slotConflict
            case missingObservation
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A `CLUSTER NODES` reply that does not parse.
        public static let malformedClusterNodes = Code(.malformedClusterNodes)
        /// A layout request that can never be met (fewer than 3 masters, duplicate nodes).
        public static let invalidLayout = Code(.invalidLayout)
        /// Fewer candidate nodes than the layout needs.
        public static let notEnoughNodes = Code(.notEnoughNodes)
        /// A node that holds keys where the plan needs an empty one.
        public static let nodeNotEmpty = Code(.nodeNotEmpty)
        /// A node that knows nodes outside the planned set.
        public static let foreignCluster = Code(.foreignCluster)
        /// A node that owns slots the plan gives to someone else.
        public static let slotConflict = Code(.slotConflict)
        /// A planned node that was not observed at all.
        public static let missingObservation = Code(.missingObservation)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let category: FailureCategory
    public let message: String

    public init(_ code: Code, _ message: String, category: FailureCategory = .operationFailed) {
        self.code = code
        self.message = message
        self.category = category
    }
}
