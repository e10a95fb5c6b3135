import Histogram
import NIOCore

/// Monotonic nanoseconds: the clock NIO schedules timers by, so scheduled send times and
/// measured replies share one time base.
@inline(__always)
func monotonicNanos() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

/// Microsecond latencies from 1 µs to an hour, 3 significant digits.
func makeLatencyHistogram() -> Histogram<UInt64> {
    Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
}

/// What one event loop measured during one test. Only its own loop touches it: no locks.
final class LoopStats {
    var histogram = makeLatencyHistogram()
    var requests: UInt64 = 0
    var misses: UInt64 = 0
    var moved: UInt64 = 0
    var ask: UInt64 = 0
    var errors: [String: UInt64] = [:]
    /// Earliest (intended) send time and latest reply of the measured requests.
    var firstSend: UInt64 = .max
    var lastReply: UInt64 = 0

    @inline(__always)
    func record(sentAt: UInt64, now: UInt64) {
        let micros = now > sentAt ? (now - sentAt) / 1000 : 0
        histogram.record(min(max(micros, 1), 3_600_000_000))
        requests &+= 1
        if sentAt < firstSend { firstSend = sentAt }
        if now > lastReply { lastReply = now }
    }

    func countError(_ kind: String) { errors[kind, default: 0] += 1 }

    var snapshot: LoopSnapshot {
        LoopSnapshot(histogram: histogram, requests: requests, misses: misses, moved: moved, ask: ask, errors: errors,
                     firstSend: firstSend, lastReply: lastReply)
    }
}

/// A copy of a loop's stats that may cross threads.
struct LoopSnapshot: Sendable {
    var histogram: Histogram<UInt64>
    var requests: UInt64
    var misses: UInt64
    var moved: UInt64
    var ask: UInt64
    var errors: [String: UInt64]
    var firstSend: UInt64
    var lastReply: UInt64

    static func merge(_ snapshots: [LoopSnapshot]) -> LoopSnapshot {
        var merged = LoopSnapshot(histogram: makeLatencyHistogram(), requests: 0, misses: 0, moved: 0, ask: 0, errors: [:],
                                  firstSend: .max, lastReply: 0)
        for snapshot in snapshots {
            merged.histogram.add(snapshot.histogram)
            merged.requests += snapshot.requests
            merged.misses += snapshot.misses
            merged.moved += snapshot.moved
            merged.ask += snapshot.ask
            merged.errors.merge(snapshot.errors, uniquingKeysWith: +)
            merged.firstSend = min(merged.firstSend, snapshot.firstSend)
            merged.lastReply = max(merged.lastReply, snapshot.lastReply)
        }
        return merged
    }
}
