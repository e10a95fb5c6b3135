import Bench
import ClusterOps
import Foundation
import RedisCtlCore
import RESP
import TestSupport
import Testing
@testable import RedisCtlKit

/// `benchmark` end to end through the command layer, against one real redis-server named by --nodes.
@Suite(.serialized) struct BenchmarkCommandTests {
    static let password = "bench-command-pw"

    func request(_ body: (inout BenchmarkRequest) -> Void = { _ in }) -> BenchmarkRequest {
        var request = BenchmarkRequest()
        request.clients = 4
        request.requests = 2000
        request.threads = 1
        body(&request)
        return request
    }

    @Test func outputsGatesAndUsage() async throws {
        let server = try await RedisServerProcess.start(password: Self.password)
        defer { server.stop() }
        let environment = try LocalTestEnvironment(spec: "replicasPerMaster: 1")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let settings = environment.settings(output: .text, nodes: [server.endpoint])
        func run(_ command: BenchmarkCommand) async -> CommandRun {
            await environment.run(settings, extraEnvironment: ["REDISCTL_PASSWORD": Self.password]) { try await command.run($0) }
        }

        // CSV: redis-benchmark's header, then one row per test.
        let csv = await run(BenchmarkCommand(request: request(), output: .csv))
        #expect(csv.status == 0, "\(csv.stderr)")
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.first == "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"")
        #expect(rows.count == 3 && rows[1].hasPrefix("\"SET\",") && rows[2].hasPrefix("\"GET\","))

        // JSON with a generous SLO: passes, exit 0; the HdrHistogram log is written.
        let hdr = environment.stateDirectory.appendingPathComponent("latency.hlog").path
        let passing = await run(BenchmarkCommand(request: request(), output: .json, hdrOut: hdr, slo: "p99<10s,ops>1,errors<1"))
        #expect(passing.status == 0, "\(passing.stderr)")
        let json = try passing.json()
        #expect((json["tests"] as? [[String: Any]])?.count == 2)
        #expect((json["slo"] as? [String: Any])?["passed"] as? Bool == true)
        let log = try String(contentsOfFile: hdr, encoding: .utf8)
        #expect(log.hasPrefix("#[Histogram log format version 1.3]"))
        #expect(log.contains("Tag=SET,") && log.contains("Tag=GET,") && log.contains(",HISTF"))

        // An SLO no run can meet: exit 1, one line per miss on stderr, the report still on stdout.
        let failing = await run(BenchmarkCommand(request: request(), output: .text, slo: "p50<1us,ops>1000000000"))
        #expect(failing.status == 1)
        let misses = failing.stderr.split(separator: "\n").filter { $0.hasPrefix("SLO missed: ") }
        #expect(misses.count == 4, "\(failing.stderr)")
        #expect(misses.contains { $0.hasPrefix("SLO missed: SET p50 latency was ") && $0.hasSuffix("needs < 0.001ms") })
        #expect(misses.contains { $0.hasPrefix("SLO missed: GET throughput was ") && $0.hasSuffix("needs > 1000000000 ops/s") })
        #expect(failing.stdout.contains("SET latency distribution:"))

        // Bad flags: exit 64 before connecting.
        let badRatio = await run(BenchmarkCommand(request: request { $0.ratio = "lots" }))
        #expect(badRatio.status == 64 && badRatio.stderr.contains("--ratio 'lots'"))
        let badSLO = await run(BenchmarkCommand(request: request(), slo: "p99 under 5ms"))
        #expect(badSLO.status == 64 && badSLO.stderr.contains("--slo entry"))
    }

    /// Regression test: a benchmark whose node died ended early with exit 0 and a GET row of 0
    /// requests and 0 errors. It must fail (exit 1), naming the node and the tests cut short.
    @Test func aNodeThatDiesMidRunFailsTheBenchmark() async throws {
        let server = try await RedisServerProcess.start(password: Self.password)
        defer { server.stop() }
        let environment = try LocalTestEnvironment(spec: "replicasPerMaster: 1")
        defer { try? FileManager.default.removeItem(at: environment.stateDirectory) }
        let watcher = try await server.connect()
        let settings = environment.settings(output: .text, nodes: [server.endpoint])
        let running = Task {
            await environment.run(settings, extraEnvironment: ["REDISCTL_PASSWORD": Self.password]) {
                try await BenchmarkCommand(request: request { $0.requests = 50_000_000 }).run($0)
            }
        }
        // Once the SET test is under way, the node goes.
        try await poll("the benchmark to send requests", until: .after(.seconds(60))) {
            let info = InfoSections.parse(try await watcher.send("INFO", "stats").string ?? "")
            return (info["total_commands_processed"].flatMap { Int($0) } ?? 0) > 20_000 ? .done(()) : .notYet("not yet")
        }
        await watcher.close()
        server.stop()
        let run = await running.value
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("did not complete SET, GET") && run.stderr.contains(server.endpoint.description), "\(run.stderr)")
    }
}
