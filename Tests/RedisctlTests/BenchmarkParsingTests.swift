import ArgumentParser
import Testing
@testable import redisctl

/// `-n` is --requests in `benchmark` (as in redis-benchmark) and --namespace everywhere else; the
/// whole command tree must still parse (ArgumentParser rejects duplicate names when it builds it).
@Suite struct BenchmarkParsingTests {
    @Test func benchmarkFlagsParse() throws {
        let parsed = try Redisctl.parseAsRoot([
            "benchmark", "-n", "5000", "--namespace", "prod", "-c", "20", "-P", "16", "-d", "64", "-t", "set,get,incr",
            "-r", "100000", "--key-pattern", "zipf", "--threads", "2", "--warmup", "1s", "-o", "csv",
            "--hdr-out", "out.hlog", "--slo", "p99<5ms,ops>1000", "--platform", "local",
        ])
        let benchmark = try #require(parsed as? Redisctl.Benchmark)
        #expect(benchmark.requests == 5000)
        #expect(benchmark.global.namespace == "prod")
        #expect(benchmark.clients == 20 && benchmark.pipeline == 16 && benchmark.dataSize == 64)
        #expect(benchmark.tests == "set,get,incr" && benchmark.keyspace == 100_000 && benchmark.keyPattern == "zipf")
        #expect(benchmark.threads == 2 && benchmark.warmup == "1s" && benchmark.output == .csv)
        #expect(benchmark.hdrOut == "out.hlog" && benchmark.slo == "p99<5ms,ops>1000")
        let settings = try benchmark.global.settings(environment: [:])
        #expect(settings.namespace == "prod" && settings.platform == .local)
    }

    @Test func longFormsAndOtherCommandsKeepTheirMeaning() throws {
        let long = try #require(try Redisctl.parseAsRoot(["benchmark", "--requests", "7", "--duration", "2s", "--rate", "100",
                                                          "--ratio", "1:10", "--output", "json"]) as? Redisctl.Benchmark)
        #expect(long.requests == 7 && long.duration == "2s" && long.rate == 100 && long.ratio == "1:10" && long.output == .json)
        let verify = try #require(try Redisctl.parseAsRoot(["verify", "-n", "team-a"]) as? Redisctl.Verify)
        #expect(verify.global.namespace == "team-a")
        #expect(throws: (any Error).self) { try Redisctl.parseAsRoot(["benchmark", "-o", "env"]) }
        #expect(throws: (any Error).self) { try Redisctl.parseAsRoot(["benchmark", "-n", "many"]) }
    }
}
