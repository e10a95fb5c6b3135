import RedisCtlCore
import RESP
import Testing

@Suite struct RedisErrorTests {
    let node = RedisEndpoint(host: "127.0.1.3", port: 6379)

    @Test func classifiesRedirects() {
        #expect(RedisError(serverReply: "MOVED 3999 127.0.0.1:6381", endpoint: node).kind
            == .moved(slot: 3999, to: RedisEndpoint(host: "127.0.0.1", port: 6381)))
        #expect(RedisError(serverReply: "ASK 0 10.1.2.3:7000", endpoint: node).kind
            == .ask(slot: 0, to: RedisEndpoint(host: "10.1.2.3", port: 7000)))
        // Redis 7 leaves the host empty when the node does not know its own address.
        #expect(RedisError(serverReply: "MOVED 16383 :6390", endpoint: node).kind
            == .moved(slot: 16383, to: RedisEndpoint(host: "127.0.1.3", port: 6390)))
        #expect(RedisError(serverReply: "MOVED 12 ::1:6381", endpoint: node).kind
            == .moved(slot: 12, to: RedisEndpoint(host: "::1", port: 6381)))
        // Malformed redirects stay generic rather than guessing.
        #expect(RedisError(serverReply: "MOVED 99999 127.0.0.1:6381", endpoint: node).kind == .server("MOVED 99999 127.0.0.1:6381"))
        #expect(RedisError(serverReply: "MOVED x", endpoint: node).kind == .server("MOVED x"))
    }

    @Test(arguments: [
        ("CLUSTERDOWN The cluster is down", RedisError.Kind.clusterDown),
        ("TRYAGAIN Multiple keys request during rehashing of slot", .tryAgain),
        ("LOADING Redis is loading the dataset in memory", .loading),
        ("NOAUTH Authentication required.", .noAuth),
        ("WRONGPASS invalid username-password pair or user is disabled.", .wrongPass),
        ("BUSYKEY Target key name already exists.", .busyKey),
        ("ERR unknown command 'FOO'", .server("ERR unknown command 'FOO'")),
        ("WRONGTYPE Operation against a key holding the wrong kind of value", .server("WRONGTYPE Operation against a key holding the wrong kind of value")),
    ])
    func classifiesCodes(reply: String, kind: RedisError.Kind) {
        #expect(RedisError(serverReply: reply, endpoint: node).kind == kind)
    }

    /// Plain `ERR` replies whose text names a condition the cluster operations act on.
    @Test func conditionsNamedByTheReplyText() {
        func error(_ reply: String) -> RedisError { RedisError(serverReply: reply, endpoint: node) }
        #expect(error("ERR I'm already the owner of hash slot 42").slotAlreadyOwned)
        #expect(!error("ERR I'm not the owner of hash slot 42").slotAlreadyOwned)
        #expect(error("ERR Please use SETSLOT only with masters.").setSlotNeedsMaster)
        #expect(error("ERR Unknown node 0123456789abcdef0123456789abcdef01234567").unknownNode)
        #expect(!error("ERR Can't forget my master!").unknownNode)
        #expect(error("IOERR error or timeout reading to target instance").isTransientMigrationFailure)
        #expect(error("TRYAGAIN Multiple keys request during rehashing of slot").isTransientMigrationFailure)
        #expect(!error("BUSYKEY Target key name already exists.").isTransientMigrationFailure)
        // A client-side failure is never mistaken for a server's condition.
        #expect(!RedisError(.connectFailed("Unknown node"), endpoint: node).unknownNode)
    }

    @Test func categoriesAndMessages() {
        let wrongPass = RedisError(serverReply: "WRONGPASS invalid username-password pair", endpoint: node)
        #expect(wrongPass.category == .cannotRun)
        #expect(wrongPass.message == "127.0.1.3:6379: authentication refused (WRONGPASS invalid username-password pair); check the password")
        #expect(RedisError(.noAuth, endpoint: node).category == .cannotRun)
        #expect(RedisError(.connectFailed("connection refused"), endpoint: node).category == .cannotRun)
        #expect(RedisError(.timeout(command: "GET"), endpoint: node).category == .operationFailed)
        #expect(RedisError(serverReply: "MOVED 1 127.0.0.1:1", endpoint: node).category == .operationFailed)
        let multiLine = RedisError(serverReply: "ERR a\nb", endpoint: node)
        #expect(!multiLine.message.contains("\n"))
        #expect(RedisError(.timeout(command: "BLPOP"), endpoint: node).message.hasPrefix("127.0.1.3:6379: no reply to BLPOP"))
    }

    @Test func endpointParsing() {
        #expect(RedisEndpoint(parsing: "127.0.1.1:6379") == RedisEndpoint(host: "127.0.1.1", port: 6379))
        #expect(RedisEndpoint(parsing: "[::1]:6379") == RedisEndpoint(host: "::1", port: 6379))
        #expect(RedisEndpoint(parsing: "::1:6379") == RedisEndpoint(host: "::1", port: 6379))
        #expect(RedisEndpoint(parsing: "redis-0.redis:6379") == RedisEndpoint(host: "redis-0.redis", port: 6379))
        for bad in ["", "127.0.0.1", "127.0.0.1:", ":6379", "host:0", "host:65536", "host:-1", "[::1]6379", "[::1", "h:63a", "a b:1"] {
            #expect(RedisEndpoint(parsing: bad) == nil, "\(bad)")
        }
        #expect(RedisEndpoint(host: "::1", port: 7000).description == "[::1]:7000")
        #expect(RedisEndpoint(host: "10.0.0.1", port: 7000).description == "10.0.0.1:7000")
    }
}
