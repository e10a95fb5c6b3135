/// Runs `body`, then `cleanup`, awaited, whether `body` returned or threw: Swift's `defer` cannot
/// await, and a `Task` started in one would outlive the scope it should end with.
public func withCleanup<Result>(
    _ body: () async throws -> Result, cleanup: () async -> Void
) async throws -> Result {
    let result: Result
    do {
        result = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return result
}
