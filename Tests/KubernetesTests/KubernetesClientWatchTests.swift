import Foundation
import Kubernetes
import RedisCtlCore
import TestSupport
import Testing

/// Reads events until `count` non-bookmark events have arrived, bounded by a deadline.
func collect(_ stream: AsyncThrowingStream<WatchEvent, any Error>, count: Int, within timeout: Duration = .seconds(5)) async throws -> [WatchEvent] {
    try await withThrowingTaskGroup(of: [WatchEvent].self) { group in
        group.addTask {
            var events: [WatchEvent] = []
            for try await event in stream where event.type != "BOOKMARK" {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw GeneralFailure(.operationFailed, "timed out waiting for \(count) watch events")
        }
        defer { group.cancelAll() }
        return try await group.next() ?? []
    }
}

func summary(_ events: [WatchEvent]) -> [String] {
    events.map { "\($0.type) \($0.object["metadata"]["name"].string ?? "?")" }
}

@Suite("KubernetesClient watch")
struct KubernetesClientWatchTests {
    @Test("watch delivers ADDED, MODIFIED and DELETED in order")
    func watchInOrder() async throws {
        try await withClient { _, client in
            let start = try await client.list(configMapsPath)
            let stream = client.watch(configMapsPath, resourceVersion: start.resourceVersion)
            try await client.apply(configMapPath("watched"), body: configMapYAML("watched"))
            try await client.apply(configMapPath("watched"), body: configMapYAML("watched", data: ["a": "2"]))
            try await client.delete(configMapPath("watched"))
            let events = try await collect(stream, count: 3)
            #expect(summary(events) == ["ADDED watched", "MODIFIED watched", "DELETED watched"])
            #expect(events[1].object["data"]["a"].string == "2")
        }
    }

    @Test("a watch started after the changes replays them from its resourceVersion, filtered by label")
    func watchReplaysBacklog() async throws {
        try await withClient { _, client in
            let start = try await client.list(configMapsPath)
            try await client.apply(configMapPath("mine"), body: configMapYAML("mine", labels: ["app": "redis"]))
            try await client.apply(configMapPath("theirs"), body: configMapYAML("theirs", labels: ["app": "web"]))
            try await client.apply(configMapPath("mine"), body: configMapYAML("mine", data: ["a": "3"], labels: ["app": "redis"]))
            let events = try await collect(client.watch(configMapsPath, labelSelector: "app=redis", resourceVersion: start.resourceVersion), count: 2)
            #expect(summary(events) == ["ADDED mine", "MODIFIED mine"])
        }
    }

    @Test("with no resourceVersion the current objects come first as ADDED")
    func watchWithoutVersion() async throws {
        try await withClient { _, client in
            try await client.apply(configMapPath("existing"), body: configMapYAML("existing"))
            let stream = client.watch(configMapsPath, resourceVersion: nil)
            let first = try await collect(stream, count: 1)
            #expect(summary(first) == ["ADDED existing"])
        }
    }

    @Test("after 410 Gone the watch re-lists, reports the difference and resumes")
    func watchResumesAfterGone() async throws {
        var options = FakeAPIServerOptions()
        options.watchHistoryDepth = 2
        try await withClient(options: options) { _, client in
            try await client.apply(configMapPath("kept"), body: configMapYAML("kept"))
            try await client.apply(configMapPath("removed"), body: configMapYAML("removed"))
            let old = try await client.list(configMapsPath).resourceVersion
            for value in 2...5 {
                try await client.apply(configMapPath("kept"), body: configMapYAML("kept", data: ["a": "\(value)"]))
            }
            try await client.delete(configMapPath("removed"))
            let stream = client.watch(configMapsPath, resourceVersion: old)
            // The stream did not know either object: the re-list reports what exists now.
            let resynced = try await collect(stream, count: 1)
            #expect(summary(resynced) == ["ADDED kept"])
            #expect(resynced[0].object["data"]["a"].string == "5")
            try await client.apply(configMapPath("later"), body: configMapYAML("later"))
            let live = try await collect(stream, count: 1)
            #expect(summary(live) == ["ADDED later"])
        }
    }

    @Test("bookmarks arrive when the server sends them")
    func bookmarks() async throws {
        var options = FakeAPIServerOptions()
        options.bookmarkInterval = .milliseconds(50)
        try await withClient(options: options) { server, client in
            let stream = client.watch(configMapsPath, resourceVersion: String(server.currentResourceVersion))
            var iterator = stream.makeAsyncIterator()
            let event = try await iterator.next()
            #expect(event?.type == "BOOKMARK")
            #expect(event?.object["metadata"]["resourceVersion"].string == String(server.currentResourceVersion))
        }
    }
}

@Suite("KubernetesClient watch cancellation")
struct KubernetesClientWatchCancellationTests {
    @Test("cancelling the consuming task ends the stream and closes the server-side watch")
    func cancellationEndsWatch() async throws {
        try await withClient { server, client in
            let consumer = Task {
                var seen = 0
                for try await event in client.watch(configMapsPath, resourceVersion: String(server.currentResourceVersion))
                where event.type != "BOOKMARK" {
                    seen += 1
                }
                return seen
            }
            try await poll("the watch to open", until: .after(.seconds(5))) {
                server.store.watcherCount == 1 ? .done(()) : .notYet("\(server.store.watcherCount) watchers")
            }
            consumer.cancel()
            _ = try await consumer.value
            try await poll("the server to drop the watch", until: .after(.seconds(30))) {
                server.store.watcherCount == 0 ? .done(()) : .notYet("\(server.store.watcherCount) watchers")
            }
        }
    }
}
