import Foundation
import RedisCtlCore

/// Counts what a migration moved and reports it on stderr at most once a second:
/// slots and keys moved, keys/s, and an ETA from the keys still to go.
public final class MigrationProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let reporter: any ProgressReporter
    private let totalSlots: Int
    private var totalKeys: Int
    private var slots = 0
    private var keys = 0
    private let started = ContinuousClock.now
    private var lastReport = ContinuousClock.now

    public init(reporter: any ProgressReporter, totalSlots: Int, totalKeys: Int) {
        self.reporter = reporter
        self.totalSlots = totalSlots
        self.totalKeys = totalKeys
    }

    public var slotsMoved: Int { lock.withLock { slots } }
    public var keysMoved: Int { lock.withLock { keys } }
    public var elapsedSeconds: Double { Self.seconds(ContinuousClock.now - started) }

    func movedKeys(_ count: Int) {
        let line = lock.withLock { () -> String? in
            keys += count
            return dueLine()
        }
        if let line { reporter.step(line) }
    }

    func movedSlots(_ count: Int) {
        let line = lock.withLock { () -> String? in
            slots += count
            return slots == totalSlots ? summary() : dueLine()
        }
        if let line { reporter.step(line) }
    }

    private func dueLine() -> String? {
        let now = ContinuousClock.now
        guard now - lastReport >= .seconds(1) else { return nil }
        lastReport = now
        return summary()
    }

    private func summary() -> String {
        let elapsed = max(Self.seconds(ContinuousClock.now - started), 0.001)
        let rate = Double(keys) / elapsed
        var line = "moved \(slots)/\(totalSlots) slots, \(keys) keys, \(Int(rate)) keys/s"
        if slots < totalSlots {
            let left = max(totalKeys - keys, 0)
            let eta = rate > 0 ? Double(left) / rate : Double(totalSlots - slots) * elapsed / Double(max(slots, 1))
            line += ", ETA \(Int(eta.rounded(.up)))s"
        }
        return line
    }

    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
