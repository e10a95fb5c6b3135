import RedisCtlCore

/// Where `--to`/`--from` points: `s3://BUCKET[/PREFIX]` or a directory path.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case directory(String)
    case s3(bucket: String, prefix: String)

    /// Parses the command-line form. Throws a usage error for `s3://` without a bucket.
    public init(parsing text: String) throws {
        if text.lowercased().hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
            guard let bucket = parts.first, !bucket.isEmpty else {
                throw GeneralFailure(.usage, "'\(text)' names no bucket; use s3://BUCKET/PREFIX")
            }
            self = .s3(bucket: String(bucket), prefix: parts.dropFirst().joined(separator: "/"))
        } else {
            guard !text.isEmpty else { throw GeneralFailure(.usage, "the backup location is empty; give a directory or s3://BUCKET/PREFIX") }
            self = .directory(text)
        }
    }

    public var description: String {
        switch self {
        case .directory(let path): path
        case .s3(let bucket, let prefix): prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        }
    }

    /// The same location one level down (`…/ID`) or up: used to split a trailing set id off.
    public func removingLastComponent() -> (parent: StoreLocation, last: String)? {
        switch self {
        case .directory(let path):
            var trimmed = Substring(path)
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            guard let slash = trimmed.lastIndex(of: "/") else { return (.directory("."), String(trimmed)) }
            let parent = trimmed[..<slash]
            return (.directory(parent.isEmpty ? "/" : String(parent)), String(trimmed[trimmed.index(after: slash)...]))
        case .s3(let bucket, let prefix):
            let parts = prefix.split(separator: "/")
            guard let last = parts.last else { return nil }
            return (.s3(bucket: bucket, prefix: parts.dropLast().joined(separator: "/")), String(last))
        }
    }
}
