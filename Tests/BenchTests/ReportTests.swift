@testable import Bench
import Foundation
import Histogram
import Testing

@Suite struct ReportTests {
    func sampleReport() -> BenchmarkReport {
        var fast = makeLatencyHistogram()
        for micros: UInt64 in 1...1000 { fast.record(100 + micros) }
        var slow = makeLatencyHistogram()
        for micros: UInt64 in 1...1000 { slow.record(micros * 20) }
        let tests = [
            TestResult(name: "SET", requests: 1000, seconds: 0.01, latency: LatencySummary(histogram: fast), errors: [:],
                       misses: 0, moved: 2, ask: 1),
            TestResult(name: "GET", requests: 1000, seconds: 0.5, latency: LatencySummary(histogram: slow),
                       errors: ["wrong-value": 3, "ERR": 1], misses: 5, moved: 0, ask: 0, startOffset: 0.02),
        ]
        return BenchmarkReport(settings: BenchmarkSettings(), target: BenchmarkTargetInfo(mode: "cluster", masters: ["a:1", "b:2"]),
                               tests: tests)
    }

    @Test func csvHasRedisBenchmarksColumns() {
        let lines = sampleReport().csv.split(separator: "\n").map(String.init)
        #expect(lines[0] == "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"")
        #expect(lines.count == 3)
        let set = lines[1].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        #expect(set[0] == "SET" && set[1] == "100000.00")
        #expect(set.count == 8 && set.dropFirst().allSatisfy { Double($0) != nil })
        #expect(Double(set[3]) == 0.101 && Double(set[7]) == 1.1)
    }

    @Test func jsonCarriesLatencyErrorsRedirectsAndSlo() throws {
        let report = sampleReport()
        let objectives = try ServiceLevelObjective.parseList("p99<5ms,ops>50000,errors<1")
        let object = try JSONSerialization.jsonObject(with: Data(try report.json(sloObjectives: objectives).utf8)) as? [String: Any]
        let tests = object?["tests"] as? [[String: Any]] ?? []
        #expect(tests.count == 2)
        let latency = tests.first?["latencyMs"] as? [String: Double] ?? [:]
        #expect(Set(latency.keys) == ["min", "mean", "max", "p50", "p90", "p95", "p99", "p99.9", "p99.99"])
        #expect((tests.first?["redirects"] as? [String: Int]) == ["moved": 2, "ask": 1])
        #expect((tests.last?["errors"] as? [String: Int]) == ["wrong-value": 3, "ERR": 1])
        #expect(tests.last?["misses"] as? Int == 5)
        let slo = object?["slo"] as? [String: Any]
        #expect(slo?["passed"] as? Bool == false)
        // GET misses all three: p99 (about 19.8ms), throughput (2000/s) and errors (4).
        let misses = slo?["misses"] as? [String] ?? []
        #expect(misses.count == 3)
        #expect(misses.allSatisfy { $0.hasPrefix("SLO missed: GET ") })
        #expect(misses.contains { $0.contains("p99 latency was 19.") && $0.contains("needs < 5.000ms") })
        #expect((object?["settings"] as? [String: Any])?["clients"] as? Int == 50)
    }

    @Test func textHasTableNotesAndChart() {
        let text = sampleReport().text
        #expect(text.contains("cluster with 2 master(s); 50 clients, pipeline 1"))
        #expect(text.contains("TEST") && text.contains("P99.99") && text.contains("OPS/S"))
        #expect(text.contains("GET: errors: ERR 1, wrong-value 3; nil replies (key absent): 5"))
        #expect(text.contains("SET: redirects followed: MOVED 2, ASK 1"))
        #expect(text.contains("GET latency distribution:"))
        // The chart's shares add up to the whole.
        let chart = text.components(separatedBy: "GET latency distribution:\n")[1].split(separator: "\n")
        let shares = chart.compactMap { line in line.split(separator: " ").first { $0.hasSuffix("%") }.flatMap { Double($0.dropLast()) } }
        #expect(abs(shares.reduce(0, +) - 100) < 0.1)
    }

    /// The log line decodes back to the same counts: base64, the compressed cookie, a zlib stream,
    /// the V2 header and ZigZag LEB128 counts with zero runs.
    @Test func hdrLogRoundTrips() throws {
        let report = sampleReport()
        let histogram = report.tests[1].latency.histogram
        let log = HdrHistogramLog.render(startTime: Date(timeIntervalSince1970: 1_700_000_000), intervals: [
            .init(tag: "MSET (10 keys)", start: 0.02, length: 0.5, histogram: histogram),
        ])
        let lines = log.split(separator: "\n").map(String.init)
        #expect(lines[0] == "#[Histogram log format version 1.3]")
        #expect(lines[1].hasPrefix("#[StartTime: 1700000000.000 (seconds since epoch)"))
        #expect(lines[3] == "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")
        let fields = lines[4].split(separator: ",").map(String.init)
        #expect(fields[0] == "Tag=MSET__10_keys_")
        #expect(fields[1] == "0.020" && fields[2] == "0.500" && fields[3].hasPrefix("20.0"))
        #expect(fields[4].hasPrefix("HISTF"))
        let bytes = [UInt8](try #require(Data(base64Encoded: fields[4])))
        #expect(readInt(bytes, 0) == 0x1c84_9314)
        #expect(readInt(bytes, 4) == bytes.count - 8)
        let inflated = try inflateStored(Array(bytes[8...]))
        #expect(readInt(inflated, 0) == 0x1c84_9313)
        #expect(readInt(inflated, 4) == inflated.count - 40)
        #expect(readInt(inflated, 12) == 3)
        var counts: [UInt64] = []
        var position = 40
        while position < inflated.count {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = inflated[position]
                position += 1
                if shift == 56 { value |= UInt64(byte) << 56; break }
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            let decoded = Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
            if decoded < 0 { counts += Array(repeating: 0, count: Int(-decoded)) } else { counts.append(UInt64(decoded)) }
        }
        var expected = histogram.allValues().map { UInt64($0.count) }
        while expected.last == 0 { expected.removeLast() }
        #expect(counts == expected)
        #expect(counts.reduce(0, +) == 1000)
    }

    func readInt(_ bytes: [UInt8], _ offset: Int) -> Int {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    }

    /// Stored-block inflate with the zlib header and Adler-32 checked.
    func inflateStored(_ stream: [UInt8]) throws -> [UInt8] {
        #expect(stream[0] == 0x78 && (Int(stream[0]) * 256 + Int(stream[1])) % 31 == 0)
        var out: [UInt8] = []
        var position = 2
        while true {
            let header = stream[position]
            #expect(header & 0x06 == 0, "stored block")
            let length = Int(stream[position + 1]) | Int(stream[position + 2]) << 8
            let complement = Int(stream[position + 3]) | Int(stream[position + 4]) << 8
            #expect(length ^ complement == 0xFFFF)
            out += stream[(position + 5)..<(position + 5 + length)]
            position += 5 + length
            if header & 1 == 1 { break }
        }
        var a = 1, b = 0
        for byte in out { a = (a + Int(byte)) % 65_521; b = (b + a) % 65_521 }
        #expect(readInt(stream, position) == (b << 16 | a))
        return out
    }
}
