import RedisCtlCore

/// A kubeconfig or service account that cannot be used. The message names the file and the entry,
/// e.g. `/home/me/.kube/config: user 'admin': client-key-data is not valid base64`.
public struct KubeConfigError: RedisCtlFailure, Equatable {
    /// The file (or files, `:`-joined) the problem is in, or `in-cluster`.
    public let source: String
    /// The entry, e.g. `user 'admin'`, `context 'prod'`; nil when the whole file is at fault.
    public let entry: String?
    public let reason: String

    public init(source: String, entry: String? = nil, reason: String) {
        self.source = source
        self.entry = entry
        self.reason = reason
    }

    public var category: FailureCategory { .cannotRun }
    public var message: String {
        [source.isEmpty ? nil : source, entry, reason].compactMap { $0 }.joined(separator: ": ")
    }
}
