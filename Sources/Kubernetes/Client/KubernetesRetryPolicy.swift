/// How often and how long a request is retried after 429, 5xx or a dropped connection.
public struct KubernetesRetryPolicy: Sendable {
    /// Attempts in total, the first included.
    public var maxAttempts: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// Retrying stops once this much time has passed since the first attempt.
    public var maxTotalTime: Duration

    public init(maxAttempts: Int, initialBackoff: Duration, maxBackoff: Duration, maxTotalTime: Duration) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxTotalTime = maxTotalTime
    }

    public static let standard = KubernetesRetryPolicy(
        maxAttempts: 6, initialBackoff: .milliseconds(200), maxBackoff: .seconds(5), maxTotalTime: .seconds(30)
    )

    /// No retries at all.
    public static let none = KubernetesRetryPolicy(
        maxAttempts: 1, initialBackoff: .zero, maxBackoff: .zero, maxTotalTime: .zero
    )

    /// Backoff before attempt `attempt + 1` (attempt counts from 1): doubles each time, capped.
    func backoff(afterAttempt attempt: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(attempt, 1) {
            delay = min(delay * 2, maxBackoff)
        }
        return min(delay, maxBackoff)
    }
}
