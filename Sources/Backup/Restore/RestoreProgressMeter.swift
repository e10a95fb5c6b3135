import Foundation
import RedisCtlCore

/// Totals shared by the files restored in parallel, reported at most every few seconds.
final class RestoreProgressMeter: @unchecked Sendable {
    private let lock = NSLock()
    private let progress: any ProgressReporter
    private let started: ContinuousClock.Instant
    private let totalMB: Double
    private let interval: Duration
    private var restored = 0
    private var bytesByFile: [String: Int64] = [:]
    private var lastReport: ContinuousClock.Instant

    init(progress: any ProgressReporter, started: ContinuousClock.Instant, totalBytes: Int64, interval: Duration = .seconds(5)) {
        self.progress = progress
        self.started = started
        totalMB = Double(totalBytes) / 1_048_576
        self.interval = interval
        lastReport = started
    }

    func restored(_ keys: Int) {
        lock.withLock { restored += keys }
    }

    var restoredTotal: Int { lock.withLock { restored } }

    /// Notes how far `path` has been read, and reports when the interval has passed.
    func read(_ path: String, bytes: Int64) {
        let line: String? = lock.withLock {
            bytesByFile[path] = bytes
            let now = ContinuousClock.now
            guard now - lastReport >= interval else { return nil }
            lastReport = now
            let elapsed = max(seconds(now - started), 0.001)
            let readMB = Double(bytesByFile.values.reduce(0, +)) / 1_048_576
            return String(format: "restored %d keys, %.1f of %.1f MB read, %.0f keys/s", restored, readMB, totalMB, Double(restored) / elapsed)
        }
        if let line { progress.step(line) }
    }
}
