import Foundation
import Testing
@testable import RedisCtlCore

/// A clock that only moves when a wait sleeps on it: polls run in no time, and every sleep is seen.
final class SteppedClock: WaitClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current = ContinuousClock.now
    private var slept: [Duration] = []

    var now: ContinuousClock.Instant { lock.withLock { current } }
    var sleeps: [Duration] { lock.withLock { slept } }

    func sleep(for duration: Duration) async throws {
        lock.withLock {
            slept.append(duration)
            current = current.advanced(by: duration)
        }
    }

    func deadline(after duration: Duration) -> Deadline { Deadline(now.advanced(by: duration)) }
}

@Suite struct PollTests {
    /// Short first, doubling to the cap: fast conditions finish fast, slow ones are not hammered.
    @Test func theIntervalBacksOffToItsCap() async throws {
        let clock = SteppedClock()
        var attempts = 0
        let value = try await poll("x", until: clock.deadline(after: .seconds(60)), clock: clock) { () -> PollOutcome<Int> in
            attempts += 1
            return attempts == 7 ? .done(attempts) : .notYet("attempt \(attempts)")
        }
        #expect(value == 7)
        #expect(clock.sleeps == [.milliseconds(20), .milliseconds(40), .milliseconds(80), .milliseconds(160),
                                 .milliseconds(250), .milliseconds(250)])
    }

    /// The last sleep ends at the deadline, one more look is taken, and the error names what was awaited.
    @Test func theDeadlineEndsTheWaitWithTheLastObservation() async throws {
        let clock = SteppedClock()
        let deadline = clock.deadline(after: .milliseconds(100))
        var attempts = 0
        do {
            _ = try await poll("the cluster to agree", until: deadline, clock: clock) { () -> PollOutcome<Void> in
                attempts += 1
                return .notYet("2/3 nodes agree")
            }
            Issue.record("the wait did not end")
        } catch let timedOut as WaitTimedOut {
            #expect(timedOut.message == "timed out waiting for the cluster to agree: 2/3 nodes agree (raise --timeout if the cluster is just slow)")
        }
        #expect(clock.sleeps == [.milliseconds(20), .milliseconds(40), .milliseconds(40)])
        #expect(attempts == 4)
        #expect(deadline.hasPassed(on: clock))
    }

    /// A deadline already passed still gets one look: a condition that holds is not reported as timed out.
    @Test func aPassedDeadlineStillLooksOnce() async throws {
        let clock = SteppedClock()
        let value = try await poll("x", until: clock.deadline(after: .zero), clock: clock) { .done(1) }
        #expect(value == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func durationsAreWrittenAsTheContractDoes() {
        #expect(formatDuration(.seconds(30)) == "30s")
        #expect(formatDuration(.milliseconds(500)) == "500ms")
        #expect(formatDuration(.nanoseconds(2_948_086_629)) == "2.948s")
        #expect(formatDuration(.milliseconds(1005)) == "1.005s")
    }
}
