import Foundation

/// Where waits read the time and sleep: the machine's clock, or one a test drives.
public protocol WaitClock: Sendable {
    var now: ContinuousClock.Instant { get }
    func sleep(for duration: Duration) async throws
}

/// The machine's monotonic clock.
public struct SystemClock: WaitClock {
    public init() {}
    public var now: ContinuousClock.Instant { ContinuousClock.now }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// A point in time that every wait is bounded by.
public struct Deadline: Sendable, Comparable {
    public let instant: ContinuousClock.Instant

    public init(_ instant: ContinuousClock.Instant) { self.instant = instant }

    public static func after(_ duration: Duration) -> Deadline {
        Deadline(ContinuousClock.now.advanced(by: duration))
    }

    public var remaining: Duration { remaining(on: SystemClock()) }
    public var hasPassed: Bool { hasPassed(on: SystemClock()) }

    public func remaining(on clock: any WaitClock) -> Duration { clock.now.duration(to: instant) }
    public func hasPassed(on clock: any WaitClock) -> Bool { clock.now >= instant }

    /// The smaller of this deadline and `duration` from now: a per-step bound inside an overall one.
    public func capped(at duration: Duration) -> Deadline {
        min(self, .after(duration))
    }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.instant < rhs.instant }
}

/// Thrown by `poll` when the deadline passes before the condition holds.
public struct WaitTimedOut: RedisCtlFailure {
    public let what: String
    public let lastObservation: String?
    public var category: FailureCategory { .operationFailed }
    public var message: String {
        var text = "timed out waiting for \(what)"
        if let lastObservation, !lastObservation.isEmpty { text += ": \(lastObservation)" }
        return text + " (raise --timeout if the cluster is just slow)"
    }

    public init(what: String, lastObservation: String?) {
        self.what = what
        self.lastObservation = lastObservation
    }
}

/// What one poll attempt saw: done with a value, or not yet with a description of what is missing.
public enum PollOutcome<Value: Sendable>: Sendable {
    case done(Value)
    case notYet(String)
}

/// Polls `attempt` until it reports `.done` or the deadline passes. No fixed sleeps: the interval
/// starts short and backs off to `maxInterval`, so fast conditions finish fast.
public func poll<Value: Sendable>(
    _ what: String,
    until deadline: Deadline,
    initialInterval: Duration = .milliseconds(20),
    maxInterval: Duration = .milliseconds(250),
    clock: any WaitClock = SystemClock(),
    _ attempt: () async throws -> PollOutcome<Value>
) async throws -> Value {
    var interval = initialInterval
    var lastObservation: String?
    while true {
        switch try await attempt() {
        case .done(let value):
            return value
        case .notYet(let observation):
            lastObservation = observation
        }
        if deadline.hasPassed(on: clock) { throw WaitTimedOut(what: what, lastObservation: lastObservation) }
        try await clock.sleep(for: min(interval, max(deadline.remaining(on: clock), .zero)))
        interval = min(interval * 2, maxInterval)
    }
}

/// The longest duration `parseDuration` accepts: a wait longer than this is a typo, and larger
/// values would not fit the clocks' integer nanoseconds.
public let maximumDuration: Duration = .seconds(30 * 86_400)

/// Parses the contract's durations: `30s`, `5m`, `1h`, `1500ms`, or a bare number of seconds,
/// from 0 to `maximumDuration` (30 days). Nil for anything else: negative, NaN, infinite, too large.
public func parseDuration(_ text: String) -> Duration? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    // "ms" also ends in "s"; the order tries "ms" first.
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    let (number, secondsPerUnit) = units.first { trimmed.hasSuffix($0.0) }
        .map { (trimmed.dropLast($0.0.count), $0.1) } ?? (Substring(trimmed), 1)
    guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
    let milliseconds = (value * secondsPerUnit * 1000).rounded()
    // Compared as a Double before any integer conversion, so no value can trap.
    guard milliseconds <= Double(maximumDuration.components.seconds) * 1000 else { return nil }
    return .milliseconds(Int64(milliseconds))
}

/// What `parseDuration` accepts, for error messages.
public let durationSyntax = "a duration such as 30s, 5m or 1h, at most 30 days"

/// A duration as the contract writes them: `30s`, `500ms`, `2.948s` (to the millisecond).
public func formatDuration(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
    guard !milliseconds.overflow else { return "\(seconds)s" }
    let total = milliseconds.partialValue + attoseconds / 1_000_000_000_000_000
    if total % 1000 == 0 { return "\(total / 1000)s" }
    if total < 1000 { return "\(total)ms" }
    return "\(total / 1000).\(String(format: "%03d", Int(total % 1000)))s"
}
