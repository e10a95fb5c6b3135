import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RedisCtlCore
#if canImport(Glibc)
import Glibc
#endif

/// The S3 REST calls a backup store needs, signed with SigV4, on AsyncHTTPClient. Requests with
/// bodies in memory are retried on 5xx answers and dropped connections.
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    private let http: HTTPClient
    private let signer: SigV4Signer
    /// Bound on one request (a part upload included), within `deadline`.
    private let requestTimeout: Duration = .seconds(300)
    /// The command's overall bound (`--timeout`): no request, retry or wait outlasts it.
    private let deadline: Deadline
    /// Where a request that keeps the command waiting says so.
    private let progress: any ProgressReporter
    /// A request still unanswered after this long is reported on stderr.
    static let reportWaitAfter: Duration = .seconds(2)

    /// `deadline` bounds every request and retry; the read timeout (the longest silence while a
    /// request is answered) is at most 120 s and at most the time left.
    public init(configuration: S3Configuration, deadline: Deadline = .after(.seconds(600)),
                progress: any ProgressReporter = SilentProgress()) {
        self.configuration = configuration
        self.deadline = deadline
        self.progress = progress
        var httpConfiguration = HTTPClient.Configuration()
        let readTimeout = max(min(deadline.remaining, .seconds(120)), .milliseconds(100))
        httpConfiguration.timeout = .init(connect: TimeAmount(min(readTimeout, .seconds(5))), read: TimeAmount(readTimeout))
        httpConfiguration.decompression = .disabled
        httpConfiguration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: httpConfiguration)
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Requests

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: HTTPClientResponse.Body
    }

    private func target(_ key: String) -> String { "s3://\(configuration.bucket)/\(key)" }

    /// Sends one signed request; returns the response with its body unread.
    private func send(_ method: HTTPMethod, key: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                      body: ByteBuffer? = nil, operation: String) async throws -> Response {
        let address = configuration.address(key: key)
        let payloadHash: String
        if let body {
            payloadHash = SigV4Signer.hex(body.withUnsafeReadableBytes { SHA256.hash(data: $0) })
        } else {
            payloadHash = SigV4Signer.emptyPayloadHash
        }
        let queryString = SigV4Signer.canonicalQuery(query)
        var attempt = 0
        while true {
            attempt += 1
            guard deadline.remaining > .zero else { throw timedOut(operation, key: key, host: address.host) }
            var request = HTTPClientRequest(url: address.url + (queryString.isEmpty ? "" : "?" + queryString))
            request.method = method
            for (name, value) in signer.signedHeaders(method: method.rawValue, host: address.host,
                                                      canonicalURI: address.canonicalURI, query: query,
                                                      extraHeaders: headers, payloadHash: payloadHash, date: Date()) {
                request.headers.add(name: name, value: value)
            }
            if let body {
                request.body = .bytes(body)
            } else if method == .PUT || method == .POST {
                request.headers.add(name: "content-length", value: "0")
            }
            do {
                let response = try await reportingLongWaits(operation, key: key, host: address.host) {
                    try await http.execute(request, timeout: TimeAmount(min(requestTimeout, deadline.remaining)))
                }
                let status = Int(response.status.code)
                if status >= 500 && attempt < 4 {
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    try await Task.sleep(for: min(.milliseconds(200 * (1 << attempt)), max(deadline.remaining, .zero)))
                    continue
                }
                return Response(status: status, headers: response.headers, body: response.body)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if deadline.hasPassed { throw timedOut(operation, key: key, host: address.host) }
                // A refused connection was already retried by the HTTP client for its connect timeout.
                if attempt < 4, Self.isRetryable(error), !Self.isConnectFailure(error) {
                    try await Task.sleep(for: min(.milliseconds(200 * (1 << attempt)), max(deadline.remaining, .zero)))
                    continue
                }
                throw GeneralFailure(Self.isConnectFailure(error) ? .cannotRun : .operationFailed,
                                  "S3 \(operation) \(target(key)) failed: \(Self.describe(error)) (endpoint \(address.host))")
            }
        }
    }

    /// The endpoint kept the command waiting past `--timeout`: it cannot be used (exit 2).
    private func timedOut(_ operation: String, key: String, host: String) -> GeneralFailure {
        GeneralFailure(.cannotRun, "S3 \(operation) \(target(key)): no answer from endpoint \(host) within --timeout; "
            + "check the endpoint, or raise --timeout if it is just slow")
    }

    /// Runs one request; when it is still unanswered after `reportWaitAfter`, says on stderr what
    /// the command waits for and until when.
    private func reportingLongWaits<T: Sendable>(_ operation: String, key: String, host: String,
                                                 _ request: () async throws -> T) async throws -> T {
        let progress = self.progress
        let deadline = self.deadline
        let what = "S3 \(operation) \(target(key)) at \(host)"
        let reporter = Task {
            try await Task.sleep(for: Self.reportWaitAfter)
            let left = Int(max(deadline.remaining, .zero).components.seconds)
            progress.step("waiting for \(what) to answer (giving up in \(left) s, --timeout)")
        }
        defer { reporter.cancel() }
        return try await request()
    }

    static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .remoteConnectionClosed || error == .readTimeout || error == .connectTimeout
                || error == .deadlineExceeded
        }
        return error is NIOConnectionError || error is IOError || error is ChannelError
    }

    /// The endpoint cannot be reached at all: a configuration problem (exit 2), not a failed transfer.
    static func isConnectFailure(_ error: any Error) -> Bool {
        if error is NIOConnectionError || (error as? HTTPClientError) == .connectTimeout { return true }
        if let io = error as? IOError {
            return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL].contains(io.errnoCode)
        }
        return false
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            if let io = first.error as? IOError { return "cannot connect: \(BlockingIO.errnoText(io.errnoCode))" }
            return "cannot connect: \(first.error)"
        }
        if let io = error as? IOError { return BlockingIO.errnoText(io.errnoCode) }
        return String(describing: error)
    }

    /// Reads a small body (errors, XML answers).
    private func text(of response: Response) async throws -> String {
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return String(buffer: buffer)
    }

    /// Throws the one-line error when the status is not 2xx (or a 200 carries an `<Error>`).
    private func check(_ response: Response, operation: String, key: String, body: String? = nil) async throws -> String {
        let text: String
        if let body { text = body } else { text = try await self.text(of: response) }
        if (200..<300).contains(response.status), !text.contains("<Error>") { return text }
        let error = S3ErrorResponse(status: response.status, body: text)
        throw GeneralFailure(error.isConfigurationProblem ? .cannotRun : .operationFailed,
                          error.line(operation: operation, target: target(key)))
    }

    // MARK: Buckets and objects

    /// Creates the bucket (tests and first-time setup); an existing bucket of ours is fine.
    public func createBucket() async throws {
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(string: "<CreateBucketConfiguration><LocationConstraint>\(configuration.region)"
                + "</LocationConstraint></CreateBucketConfiguration>")
        }
        let response = try await send(.PUT, key: "", body: body, operation: "CreateBucket")
        let text = try await self.text(of: response)
        if response.status == 409, text.contains("BucketAlreadyOwnedByYou") { return }
        _ = try await check(response, operation: "CreateBucket", key: "", body: text)
    }

    public func putObject(key: String, body: ByteBuffer) async throws {
        let response = try await send(.PUT, key: key, body: body, operation: "PUT")
        _ = try await check(response, operation: "PUT", key: key)
    }

    public func createMultipartUpload(key: String) async throws -> String {
        let response = try await send(.POST, key: key, query: [("uploads", "")], operation: "CreateMultipartUpload")
        let text = try await check(response, operation: "CreateMultipartUpload", key: key)
        guard let uploadId = S3XML.value("UploadId", in: text), !uploadId.isEmpty else {
            throw GeneralFailure(.operationFailed, "S3 CreateMultipartUpload \(target(key)) answered without an UploadId")
        }
        return uploadId
    }

    /// Uploads one part; returns its ETag.
    public func uploadPart(key: String, uploadId: String, partNumber: Int, body: ByteBuffer) async throws -> String {
        let response = try await send(.PUT, key: key, query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                                      body: body, operation: "UploadPart \(partNumber)")
        _ = try await check(response, operation: "UploadPart \(partNumber)", key: key)
        guard let etag = response.headers.first(name: "etag") else {
            throw GeneralFailure(.operationFailed, "S3 UploadPart \(partNumber) \(target(key)) answered without an ETag")
        }
        return etag
    }

    public func completeMultipartUpload(key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws {
        let xml = "<CompleteMultipartUpload>"
            + parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(S3XML.escape($0.etag))</ETag></Part>" }.joined()
            + "</CompleteMultipartUpload>"
        let response = try await send(.POST, key: key, query: [("uploadId", uploadId)], body: ByteBuffer(string: xml),
                                      operation: "CompleteMultipartUpload")
        _ = try await check(response, operation: "CompleteMultipartUpload", key: key)
    }

    public func abortMultipartUpload(key: String, uploadId: String) async {
        if let response = try? await send(.DELETE, key: key, query: [("uploadId", uploadId)], operation: "AbortMultipartUpload") {
            _ = try? await response.body.collect(upTo: 1 << 16)
        }
    }

    /// Streams an object's body to `consume`; nil when the object does not exist.
    public func getObject(key: String, consume: (ByteBuffer) async throws -> Void) async throws -> Bool {
        let response = try await send(.GET, key: key, operation: "GET")
        if response.status == 404 {
            let text = try await self.text(of: response)
            if S3ErrorResponse(status: 404, body: text).code == "NoSuchKey" { return false }
            _ = try await check(response, operation: "GET", key: key, body: text)
        }
        guard (200..<300).contains(response.status) else {
            _ = try await check(response, operation: "GET", key: key)
            return false
        }
        do {
            for try await chunk in response.body { try await consume(chunk) }
        } catch let error as GeneralFailure {
            throw error
        } catch {
            throw GeneralFailure(.operationFailed, "S3 GET \(target(key)) broke off: \(Self.describe(error))")
        }
        return true
    }

    /// Every object under `prefix`, following continuation tokens (`pageSize` keys per request;
    /// nil is the server's default, 1000).
    public func listObjects(prefix: String, pageSize: Int? = nil) async throws -> [StoredObject] {
        var objects: [StoredObject] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            if let pageSize { query.append(("max-keys", String(pageSize))) }
            let response = try await send(.GET, key: "", query: query, operation: "ListObjectsV2")
            let text = try await check(response, operation: "ListObjectsV2", key: prefix)
            for contents in S3XML.elements("Contents", in: text) {
                guard let key = S3XML.value("Key", in: contents) else { continue }
                objects.append(StoredObject(key: key, size: S3XML.value("Size", in: contents).flatMap { Int64($0) } ?? 0))
            }
            token = S3XML.value("IsTruncated", in: text) == "true" ? S3XML.value("NextContinuationToken", in: text) : nil
        } while token != nil
        return objects
    }

    /// Deletes up to 1000 keys per request; any key the answer reports as not deleted throws.
    public func deleteObjects(keys: [String]) async throws {
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            let xml = "<Delete><Quiet>true</Quiet>"
                + batch.map { "<Object><Key>\(S3XML.escape($0))</Key></Object>" }.joined() + "</Delete>"
            let body = ByteBuffer(string: xml)
            let md5 = Data(body.withUnsafeReadableBytes { Insecure.MD5.hash(data: $0) }).base64EncodedString()
            let response = try await send(.POST, key: "", query: [("delete", "")],
                                          headers: [("content-md5", md5), ("content-type", "application/xml")],
                                          body: body, operation: "DeleteObjects")
            let text = try await self.text(of: response)
            guard (200..<300).contains(response.status) else {
                _ = try await check(response, operation: "DeleteObjects", key: batch.first ?? "", body: text)
                return
            }
            if let failure = S3XML.elements("Error", in: text).first {
                let error = S3ErrorResponse(status: response.status, body: String(failure))
                throw GeneralFailure(.operationFailed, error.line(operation: "DeleteObjects", target: target(error.key ?? "")))
            }
        }
    }
}
