import Histogram

extension BenchmarkReport {
    /// CSV with redis-benchmark's header and columns, one row per test.
    public var csv: String {
        var lines = ["\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\""]
        for test in tests {
            let latency = test.latency
            let cells = [
                formatNumber(test.opsPerSecond, decimals: 2), formatNumber(latency.meanMilliseconds, decimals: 3),
                formatNumber(latency.minMilliseconds, decimals: 3), formatNumber(latency.milliseconds(atPercentile: 50), decimals: 3),
                formatNumber(latency.milliseconds(atPercentile: 95), decimals: 3),
                formatNumber(latency.milliseconds(atPercentile: 99), decimals: 3), formatNumber(latency.maxMilliseconds, decimals: 3),
            ]
            lines.append(([csvQuoted(test.name)] + cells.map(csvQuoted)).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func csvQuoted(_ text: String) -> String {
        "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }

    /// The report for people: settings, a table of every test, errors and redirects, and each test's latency chart.
    public var text: String {
        var lines: [String] = []
        let lengthText: String
        switch settings.length {
        case .requests(let count): lengthText = "\(count) requests per test"
        case .duration(let duration): lengthText = "\(formatNumber(duration.seconds, decimals: 1))s per test"
        }
        let modeText: String
        switch settings.mode {
        case .closed(let pipeline): modeText = "pipeline \(pipeline)"
        case .rate(let rate): modeText = "open loop at \(formatNumber(rate, decimals: 0)) req/s"
        }
        let keys = settings.keyspace.map { "keyspace \($0) (\(settings.keyPattern.rawValue))" } ?? "one key per client"
        lines.append("\(target.mode) with \(target.masters.count) master(s); \(settings.clients) clients, \(modeText), "
                     + "\(settings.dataSize)-byte values, \(keys), \(lengthText), \(settings.threads) thread(s)")
        lines.append("")
        let header = ["TEST", "OPS/S", "P50", "P90", "P99", "P99.9", "P99.99", "MAX", "REQUESTS", "ERRORS"]
        let rows = tests.map { test -> [String] in
            let latency = test.latency
            return [test.name, formatNumber(test.opsPerSecond, decimals: 2)]
                + [50, 90, 99, 99.9, 99.99].map { formatMilliseconds(latency.milliseconds(atPercentile: $0)) }
                + [formatMilliseconds(latency.maxMilliseconds), String(test.requests), String(test.errorCount)]
        }
        lines.append(renderTable(header: header, rows: rows))
        for test in tests {
            var notes: [String] = []
            if !test.errors.isEmpty {
                notes.append("errors: " + test.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            if test.moved > 0 || test.ask > 0 { notes.append("redirects followed: MOVED \(test.moved), ASK \(test.ask)") }
            if test.misses > 0 { notes.append("nil replies (key absent): \(test.misses)") }
            if !notes.isEmpty { lines.append("\(test.name): " + notes.joined(separator: "; ")) }
        }
        for test in tests where test.latency.count > 0 {
            lines.append("")
            lines.append("\(test.name) latency distribution:")
            lines.append(contentsOf: LatencyChart.lines(test.latency.histogram))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderTable(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// A small text chart: the share of requests in each latency band, bands doubling in width.
enum LatencyChart {
    static func lines(_ histogram: Histogram<UInt64>, width: Int = 40) -> [String] {
        let total = histogram.totalCount
        guard total > 0 else { return [] }
        // Bands: up to the smallest power-of-two-ish edge above min, doubling until max is covered (at most 12).
        var edge: UInt64 = 1
        while edge * 2 <= histogram.min { edge *= 2 }
        var edges: [UInt64] = []
        while edges.count < 12 {
            edge *= 2
            edges.append(edge)
            if edge > histogram.max { break }
        }
        if let last = edges.last, last <= histogram.max { edges[edges.count - 1] = histogram.max + 1 }
        var lower: UInt64 = 0
        var rows: [(String, UInt64)] = []
        for upper in edges {
            let count = histogram.count(within: lower...(upper - 1))
            rows.append(("<= " + formatMilliseconds(Double(upper - 1) / 1000), count))
            lower = upper
        }
        let labelWidth = rows.map(\.0.count).max() ?? 0
        let largest = rows.map(\.1).max() ?? 1
        return rows.map { label, count in
            let share = Double(count) / Double(total) * 100
            let bar = String(repeating: "#", count: largest > 0 ? Int((Double(count) / Double(largest) * Double(width)).rounded(.up)) : 0)
            let paddedLabel = String(repeating: " ", count: labelWidth - label.count) + label
            let shareText = formatNumber(share, decimals: 2) + "%"
            return "  \(paddedLabel) \(String(repeating: " ", count: max(0, 7 - shareText.count)))\(shareText) \(bar)"
        }
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
