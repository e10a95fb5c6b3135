import Foundation
import RedisCtlCore
import Spec

/// Everything needed to talk to one bucket: endpoint, region, credentials and key prefix.
public struct S3Configuration: Sendable {
    public var bucket: String
    /// Keys of the store start with this (no leading or trailing `/`).
    public var prefix: String
    public var region: String
    /// An S3-compatible endpoint (path-style addressing); nil for AWS (virtual-hosted style).
    public var endpoint: URL?
    public var credentials: S3Credentials
    /// Multipart part size; S3 allows 5 MiB to 5 GiB for every part but the last.
    public var partSize: Int

    public static let defaultPartSize = 8 << 20
    public static let minimumPartSize = 5 << 20

    public init(bucket: String, prefix: String = "", region: String = "us-east-1", endpoint: URL? = nil,
                credentials: S3Credentials, partSize: Int = S3Configuration.defaultPartSize) {
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.partSize = max(partSize, Self.minimumPartSize)
    }

    /// Resolves as the AWS tools do: the environment first (`AWS_ENDPOINT_URL_S3`, then
    /// `AWS_ENDPOINT_URL`; `AWS_REGION`, then `AWS_DEFAULT_REGION`; the `AWS_*` keys), then the spec
    /// (`spec.backup.s3`) and its Secret's data (`secret`, keys named like the variables).
    public static func resolve(bucket: String, prefix: String, spec: S3Spec, environment: [String: String],
                               secret: [String: String]? = nil) throws -> S3Configuration {
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        func fromSecret(_ name: String) -> String? {
            guard let value = secret?[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        let endpointText = env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL") ?? spec.endpoint
        var endpoint: URL?
        if let endpointText {
            guard let url = URL(string: endpointText), let scheme = url.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", url.host != nil else {
                throw GeneralFailure(.cannotRun, "S3 endpoint '\(endpointText)' is not an http(s) URL")
            }
            endpoint = url
        }
        let region = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? fromSecret("AWS_REGION") ?? spec.region
        let credentials: S3Credentials
        if let id = env("AWS_ACCESS_KEY_ID"), let key = env("AWS_SECRET_ACCESS_KEY") {
            credentials = S3Credentials(accessKeyId: id, secretAccessKey: key, sessionToken: env("AWS_SESSION_TOKEN"))
        } else if let id = fromSecret("AWS_ACCESS_KEY_ID"), let key = fromSecret("AWS_SECRET_ACCESS_KEY") {
            credentials = S3Credentials(accessKeyId: id, secretAccessKey: key, sessionToken: fromSecret("AWS_SESSION_TOKEN"))
        } else {
            throw GeneralFailure(.cannotRun, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                + " (or put them in the Secret \(spec.secretName))")
        }
        var partSize = defaultPartSize
        if let text = env("REDISCTL_S3_PART_SIZE_MB"), let megabytes = Int(text), megabytes >= 5 { partSize = megabytes << 20 }
        return S3Configuration(bucket: bucket, prefix: prefix, region: region, endpoint: endpoint,
                               credentials: credentials, partSize: partSize)
    }

    /// The URL, Host header and canonical URI of an object (or of the bucket when `key` is empty).
    func address(key: String) -> (url: String, host: String, canonicalURI: String) {
        let encodedKey = SigV4Signer.uriEncode(key, keepSlash: true)
        if let endpoint {
            let scheme = endpoint.scheme?.lowercased() ?? "https"
            let host = endpoint.host ?? "localhost"
            let hostHeader = endpoint.port.map { "\(host):\($0)" } ?? host
            var basePath = endpoint.path
            while basePath.hasSuffix("/") { basePath.removeLast() }
            let path = basePath + "/" + SigV4Signer.uriEncode(bucket, keepSlash: false) + (key.isEmpty ? "" : "/" + encodedKey)
            return ("\(scheme)://\(hostHeader)\(path)", hostHeader, path)
        }
        // Buckets with dots break virtual-hosted TLS names: they go path-style.
        if bucket.contains(".") {
            let host = "s3.\(region).amazonaws.com"
            let path = "/" + bucket + (key.isEmpty ? "" : "/" + encodedKey)
            return ("https://\(host)\(path)", host, path)
        }
        let host = "\(bucket).s3.\(region).amazonaws.com"
        let path = "/" + encodedKey
        return ("https://\(host)\(path)", host, path)
    }

    /// A key under the prefix.
    func fullKey(_ key: String) -> String {
        prefix.isEmpty ? key : prefix + "/" + key
    }

    var displayRoot: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }
}
