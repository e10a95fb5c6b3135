import AsyncHTTPClient
import Foundation
import NIOCore

extension KubernetesClient {
    /// Changes to a collection after `resourceVersion`, as they happen. With no resourceVersion, the
    /// current objects come first as ADDED. When the server has forgotten the resourceVersion
    /// (410 Gone), the collection is listed again and the difference is delivered as ADDED, MODIFIED
    /// and DELETED before watching resumes, so the consumer never misses a change. Ends when the
    /// consuming task is cancelled.
    public func watch(
        _ collectionPath: String, labelSelector: String? = nil, resourceVersion: String?
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent.self)
        // A client of its own: shutting it down when the watch ends closes the long-lived
        // connection for sure; a cancelled streaming response alone may leave it open.
        let streamClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        let task = Task {
            do {
                // Cancellation shuts the client down at once: a streaming body may not notice
                // cancellation until its next chunk, which on a quiet watch can be minutes away.
                try await withTaskCancellationHandler {
                    try await runWatch(collectionPath, labelSelector: labelSelector, from: resourceVersion,
                                       using: streamClient, into: continuation)
                } onCancel: {
                    Task { try? await streamClient.shutdown() }
                }
                continuation.finish()
            } catch {
                if Task.isCancelled || error is CancellationError {
                    continuation.finish()
                } else {
                    continuation.finish(throwing: error)
                }
            }
            try? await streamClient.shutdown()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private enum WatchOutcome {
        /// The server closed the stream (e.g. its timeout): reconnect from the last seen version.
        case ended
        /// The resourceVersion is too old: list again.
        case gone
    }

    /// The objects the consumer has been told about, by namespace/name, with their resourceVersion.
    private struct KnownObjects {
        var versions: [String: String] = [:]

        static func key(_ object: KubeJSON) -> String {
            "\(object["metadata"]["namespace"].string ?? "")/\(object["metadata"]["name"].string ?? "")"
        }

        mutating func record(_ event: WatchEvent) {
            let key = Self.key(event.object)
            switch event.type {
            case "ADDED", "MODIFIED": versions[key] = event.object["metadata"]["resourceVersion"].string ?? ""
            case "DELETED": versions[key] = nil
            default: break
            }
        }
    }

    private func runWatch(
        _ path: String, labelSelector: String?, from resourceVersion: String?, using streamClient: HTTPClient,
        into continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    ) async throws {
        var known = KnownObjects()
        var version: String
        if let resourceVersion, !resourceVersion.isEmpty {
            version = resourceVersion
        } else {
            version = try await resynchronise(path, labelSelector: labelSelector, known: &known, into: continuation)
        }
        while !Task.isCancelled {
            switch try await watchOnce(path, labelSelector: labelSelector, version: &version, known: &known,
                                       using: streamClient, into: continuation) {
            case .gone:
                version = try await resynchronise(path, labelSelector: labelSelector, known: &known, into: continuation)
            case .ended:
                // A short pause so a server that closes every stream at once is not hammered.
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Lists the collection and tells the consumer what differs from what it was told before.
    private func resynchronise(
        _ path: String, labelSelector: String?, known: inout KnownObjects,
        into continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    ) async throws -> String {
        let current = try await list(path, labelSelector: labelSelector)
        var seen = Set<String>()
        for object in current.items {
            let key = KnownObjects.key(object)
            seen.insert(key)
            let objectVersion = object["metadata"]["resourceVersion"].string ?? ""
            let event: WatchEvent
            switch known.versions[key] {
            case nil: event = WatchEvent(type: "ADDED", object: object)
            case objectVersion: continue
            default: event = WatchEvent(type: "MODIFIED", object: object)
            }
            known.record(event)
            continuation.yield(event)
        }
        for key in known.versions.keys.sorted() where !seen.contains(key) {
            let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            var metadata: KubeJSON = ["name": .string(parts.last ?? "")]
            if let namespace = parts.first, !namespace.isEmpty { metadata["namespace"] = .string(namespace) }
            let event = WatchEvent(type: "DELETED", object: ["metadata": metadata])
            known.record(event)
            continuation.yield(event)
        }
        return current.resourceVersion
    }

    private func watchOnce(
        _ path: String, labelSelector: String?, version: inout String, known: inout KnownObjects,
        using streamClient: HTTPClient, into continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    ) async throws -> WatchOutcome {
        let serverTimeoutSeconds = 300
        var query = [("watch", "1"), ("allowWatchBookmarks", "true"), ("resourceVersion", version),
                     ("timeoutSeconds", String(serverTimeoutSeconds))]
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        let response = try await execute(
            .GET, path, query: query, contentType: nil, body: nil, timeout: .seconds(serverTimeoutSeconds + 30),
            using: streamClient
        )
        let status = Int(response.status.code)
        if status == 410 { return .gone }
        guard status == 200 else {
            let body = (try? await response.body.collect(upTo: 1024 * 1024)).map { Data($0.readableBytesView) } ?? Data()
            throw KubernetesAPIError.fromResponse(
                status: status, body: body, method: "GET", path: path, verb: "watch", server: configuration.server
            )
        }
        var pending = Data()
        do {
            for try await chunk in response.body {
                try Task.checkCancellation()
                pending.append(contentsOf: chunk.readableBytesView)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[pending.index(after: newline)...])
                    guard !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) else { continue }
                    let frame: KubeJSON
                    do {
                        frame = try KubeJSON(data: Data(line))
                    } catch {
                        throw KubernetesAPIError.invalidResponse("GET", path, "watch event is not JSON")
                    }
                    let event = WatchEvent(type: frame["type"].string ?? "", object: frame["object"])
                    if event.type == "ERROR" {
                        if event.object["code"].int == 410 { return .gone }
                        throw KubernetesAPIError.fromResponse(
                            status: event.object["code"].int ?? 500, body: (try? event.object.jsonData()) ?? Data(),
                            method: "GET", path: path, verb: "watch", server: configuration.server
                        )
                    }
                    if let objectVersion = event.object["metadata"]["resourceVersion"].string, !objectVersion.isEmpty {
                        version = objectVersion
                    }
                    known.record(event)
                    continuation.yield(event)
                }
            }
        } catch let error as KubernetesAPIError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            // A dropped stream is normal (load balancers, server restarts): reconnect from `version`.
            return .ended
        }
        return .ended
    }
}
