import RedisCtlCore
import Testing
@testable import Bench

@Suite struct BenchSettingsTests {
    func usageMessage(_ body: (inout BenchmarkRequest) -> Void) -> String? {
        var request = BenchmarkRequest()
        body(&request)
        do {
            _ = try request.validated(defaultThreads: 2)
            return nil
        } catch let error as GeneralFailure {
            #expect(error.category == .usage)
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultsAreRedisBenchmarks() throws {
        let settings = try BenchmarkRequest().validated(defaultThreads: 3)
        #expect(settings.clients == 50)
        #expect(settings.length == .requests(100_000))
        #expect(settings.mode == .closed(pipeline: 1))
        #expect(settings.dataSize == 3)
        #expect(settings.tests == [.single(.set), .single(.get)])
        #expect(settings.keyspace == nil)
        #expect(settings.threads == 3)
    }

    @Test func badFlagsAreUsageErrorsNamingTheFlag() {
        #expect(usageMessage { $0.clients = 0 }?.contains("-c/--clients") == true)
        #expect(usageMessage { $0.requests = 0 }?.contains("-n/--requests") == true)
        #expect(usageMessage { $0.requests = 10; $0.duration = "5s" }?.contains("exclude each other") == true)
        #expect(usageMessage { $0.duration = "soon" }?.contains("--duration 'soon'") == true)
        #expect(usageMessage { $0.pipeline = 0 }?.contains("-P/--pipeline") == true)
        #expect(usageMessage { $0.dataSize = 0 }?.contains("-d/--data-size") == true)
        #expect(usageMessage { $0.tests = "get,flushall" }?.contains("unknown test 'flushall'") == true)
        #expect(usageMessage { $0.ratio = "1-10" }?.contains("--ratio '1-10'") == true)
        #expect(usageMessage { $0.ratio = "1:10"; $0.tests = "get" }?.contains("--ratio") == true)
        #expect(usageMessage { $0.keyspace = 0 }?.contains("-r/--keyspace") == true)
        #expect(usageMessage { $0.keyPattern = "random" }?.contains("--key-pattern 'random'") == true)
        #expect(usageMessage { $0.keyPattern = "zipf" }?.contains("needs -r/--keyspace") == true)
        #expect(usageMessage { $0.threads = 0 }?.contains("--threads") == true)
        #expect(usageMessage { $0.warmup = "a bit" }?.contains("--warmup") == true)
        #expect(usageMessage { $0.rate = -5 }?.contains("--rate") == true)
        #expect(usageMessage { $0.rate = 1000; $0.pipeline = 4 }?.contains("drop -P/--pipeline") == true)
    }

    @Test func testsRatioAndRateParse() throws {
        var request = BenchmarkRequest()
        request.tests = "ping, INCR,mset,incr"
        #expect(try request.validated(defaultThreads: 1).tests == [.single(.ping), .single(.incr), .single(.mset)])
        request = BenchmarkRequest()
        request.ratio = "1:10"
        request.duration = "2s"
        request.rate = 5000
        let settings = try request.validated(defaultThreads: 1)
        #expect(settings.tests == [.mixed(sets: 1, gets: 10)])
        #expect(settings.length == .duration(.seconds(2)))
        #expect(settings.mode == .rate(5000))
        let mixed = BenchTest.mixed(sets: 1, gets: 3)
        #expect((0..<8).map { mixed.operation(at: $0) } == [.set, .get, .get, .get, .set, .get, .get, .get])
    }

    @Test func sloThresholdsParse() throws {
        let objectives = try ServiceLevelObjective.parseList("p99<5ms, p999<10ms,ops>100000,p50<=500us,max<1s,errors<1,p99.99<20")
        #expect(objectives.map(\.metric) == [.percentile(99), .percentile(99.9), .opsPerSecond, .percentile(50),
                                             .percentile(100), .errors, .percentile(99.99)])
        #expect(objectives.map(\.limit) == [5, 10, 100_000, 0.5, 1000, 1, 20])
        #expect(objectives[3].comparison == .lessOrEqual)
        #expect(ServiceLevelObjective.percentile(named: "p9999") == 99.99)
        for bad in ["p99", "p99<fast", "speed>3", "ops>lots", ""] {
            #expect(throws: GeneralFailure.self) { try ServiceLevelObjective.parseList(bad) }
        }
    }
}
