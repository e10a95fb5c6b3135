import Bench
import RedisCtlCore
import Testing

@Test func missedThresholdsFailTheOperation() {
    let error = GeneralFailure(.operationFailed, "p99 6.1ms > 5ms")
    #expect(error.category.rawValue == 1)
    #expect(error.description == "p99 6.1ms > 5ms")
}
