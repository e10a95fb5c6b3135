import NIOCore
import RESP
import TestSupport
import Testing

/// Against real redis-server processes, each test on its own server.
@Suite struct RedisConnectionTests {
    @Test func authenticatesWithPassword() async throws {
        let server = try await RedisServerProcess.start(password: "s3cret")
        defer { server.stop() }
        let connection = try await RedisConnection.connect(to: server.endpoint, options: .init(password: "s3cret", clientName: "redisctl-test"))
        #expect(try await connection.send("PING").string == "PONG")
        #expect(try await connection.send("CLIENT", "GETNAME").string == "redisctl-test")
        #expect(connection.endpoint == server.endpoint)
        #expect(connection.isActive)
        await connection.close()
        #expect(!connection.isActive)
    }

    @Test func wrongPasswordIsTypedWrongPass() async throws {
        let server = try await RedisServerProcess.start(password: "s3cret")
        defer { server.stop() }
        let error = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(to: server.endpoint, options: .init(password: "wrong"))
        }
        #expect(error?.kind == .wrongPass)
        #expect(error?.endpoint == server.endpoint)
        #expect(error?.category == .cannotRun)
        #expect(error?.message.hasPrefix("\(server.endpoint): authentication refused (WRONGPASS") == true)
        #expect(error?.message.contains("wrong") == false, "never shows the password")
    }

    @Test func missingPasswordIsTypedNoAuth() async throws {
        let server = try await RedisServerProcess.start(password: "s3cret")
        defer { server.stop() }
        let connection = try await RedisConnection.connect(to: server.endpoint)
        let error = await #expect(throws: RedisError.self) { try await connection.send("GET", "k") }
        #expect(error?.kind == .noAuth)
        #expect(error?.category == .cannotRun)
        // The same as RESP3: HELLO without AUTH is refused.
        let hello = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(to: server.endpoint, options: .init(protocolVersion: 3))
        }
        #expect(hello?.kind == .noAuth)
        await connection.close()
    }

    @Test func aclUserOverRESP2AndRESP3() async throws {
        let server = try await RedisServerProcess.start(password: "admin-pw")
        defer { server.stop() }
        let admin = try await server.connect()
        #expect(try await admin.send("ACL", "SETUSER", "alice", "on", ">alice-pw", "~*", "+@all").string == "OK")
        for version in [2, 3] {
            let alice = try await RedisConnection.connect(
                to: server.endpoint, options: .init(user: "alice", password: "alice-pw", protocolVersion: version))
            #expect(try await alice.send("ACL", "WHOAMI").string == "alice")
            await alice.close()
            let refused = await #expect(throws: RedisError.self) {
                try await RedisConnection.connect(to: server.endpoint, options: .init(user: "alice", password: "nope", protocolVersion: version))
            }
            #expect(refused?.kind == .wrongPass)
        }
        await admin.close()
    }

    @Test func hello3GivesMapReplies() async throws {
        let server = try await RedisServerProcess.start(password: "pw")
        defer { server.stop() }
        let connection = try await RedisConnection.connect(to: server.endpoint, options: .init(password: "pw", protocolVersion: 3, clientName: "r3"))
        let hello = try await connection.send("HELLO", "3")
        guard case .map = hello else {
            Issue.record("HELLO 3 did not reply with a map: \(hello)")
            return
        }
        #expect(hello[key: "server"]?.string == "redis")
        #expect(hello[key: "proto"] == .integer(3))
        _ = try await connection.send("HSET", "h", "f1", "v1", "f2", "v2")
        let all = try await connection.send("HGETALL", "h")
        guard case .map(let pairs) = all else {
            Issue.record("HGETALL under RESP3 is not a map: \(all)")
            return
        }
        #expect(pairs.count == 2)
        #expect(all[key: "f2"]?.string == "v2")
        #expect(try await connection.send("CLIENT", "GETNAME").string == "r3")
        #expect(try await connection.send("GET", "missing") == .null)
        await connection.close()
    }

    @Test func pipelinesTenThousandCommandsInOrder() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect()
        var commands = (1...10_000).map { _ in RedisCommand("INCR", "counter") }
        commands.insert(RedisCommand("NOSUCHCOMMAND"), at: 5000)
        let replies = try await connection.pipeline(commands)
        #expect(replies.count == 10_001)
        let counts = replies.compactMap { try? $0.get().int }
        #expect(counts == Array(1...10_000).map(Int64.init))
        guard case .failure(let error) = replies[5000], case .server(let text) = error.kind else {
            Issue.record("the unknown command did not fail in place: \(replies[5000])")
            return
        }
        #expect(text.hasPrefix("ERR unknown command"))
        #expect(try await connection.pipeline([]).isEmpty)
        await connection.close()
    }

    @Test func sendsPreEncodedCommandsAndMatchesTheirReplies() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect()
        var encoded = RESPBytes()
        encoded.appendArrayHeader(3)
        encoded.appendBulk("SET")
        encoded.appendBulk(Array("a".utf8))
        encoded.appendBulk(decimal: 1)
        encoded.appendArrayHeader(2)
        encoded.appendBulk("INCR")
        encoded.appendBulk(Array("a".utf8))
        encoded.appendArrayHeader(1)
        encoded.appendBulk("NOSUCHCOMMAND")
        encoded.appendArrayHeader(2)
        encoded.appendBulk("GET")
        encoded.appendBulk(Array("a".utf8))
        let names = ["SET", "INCR", "NOSUCHCOMMAND", "GET"]
        // Sent next to ordinary sends, each caller still gets its own replies.
        async let echoed = connection.send("ECHO", "alongside")
        let replies = try await connection.sendEncoded(encoded.byteBuffer(), replies: 4) { names[$0] }
        #expect(try await echoed.string == "alongside")
        #expect(replies.count == 4)
        #expect(try replies[0].get() == .simpleString("OK"))
        #expect(try replies[1].get().int == 2)
        guard case .failure(let error) = replies[2], case .server(let text) = error.kind else {
            Issue.record("the unknown command did not fail in place: \(replies[2])")
            return
        }
        #expect(text.hasPrefix("ERR unknown command"))
        #expect(try replies[3].get().string == "2")
        #expect(try await connection.sendEncoded(ByteBuffer(), replies: 0) { _ in "SET" }.isEmpty)
        #expect(try await connection.send("GET", "a").string == "2")
        await connection.close()
    }

    @Test func concurrentSendsGetTheirOwnReplies() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect()
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<50 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<100 {
                        let text = "task-\(task)-round-\(round)"
                        if try await connection.send("ECHO", text).string != text { wrong += 1 }
                    }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        #expect(try await connection.send("DBSIZE").int == 0)
        await connection.close()
    }

    @Test func commandTimeoutFailsTheCommandAndClosesTheConnection() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect(options: .init(commandTimeout: .milliseconds(300)))
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) { try await connection.send("BLPOP", "secret-key-name", "0") }
        #expect(error?.kind == .timeout(command: "BLPOP"))
        #expect(error?.message.contains("secret-key-name") == false, "never shows arguments")
        #expect(ContinuousClock.now - started < .seconds(5))
        let afterwards = await #expect(throws: RedisError.self) { try await connection.send("PING") }
        #expect(afterwards?.kind == .connectionClosed)
        #expect(!connection.isActive)
    }

    @Test func serverClosingTheConnectionFailsPendingCommands() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let victim = try await server.connect()
        let admin = try await server.connect()
        guard let id = try await victim.send("CLIENT", "ID").int else {
            Issue.record("CLIENT ID is not an integer")
            return
        }
        async let blocked = victim.send("BLPOP", "never", "0")
        // Wait until the server sees the client blocked, so the BLPOP is in flight.
        var isBlocked = false
        for _ in 0..<200 where !isBlocked {
            isBlocked = (try await admin.send("CLIENT", "LIST", "ID", String(id)).string ?? "").contains("cmd=blpop")
            if !isBlocked { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(isBlocked)
        #expect(try await admin.send("CLIENT", "KILL", "ID", String(id)).int == 1)
        do {
            _ = try await blocked
            Issue.record("BLPOP returned after the connection was killed")
        } catch let error as RedisError {
            #expect(error.kind == .connectionClosed)
            #expect(error.endpoint == server.endpoint)
        }
        let afterwards = await #expect(throws: RedisError.self) { try await victim.send("PING") }
        #expect(afterwards?.kind == .connectionClosed)
        await admin.close()
    }

    @Test func connectingToAClosedPortNamesTheEndpoint() async throws {
        let endpoint = try RedisServerProcess.unusedLoopbackEndpoint()
        let error = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(to: endpoint, options: .init(connectTimeout: .seconds(2)))
        }
        guard case .connectFailed(let reason) = error?.kind else {
            Issue.record("not connectFailed: \(String(describing: error))")
            return
        }
        #expect(reason.contains("refused"))
        #expect(error?.category == .cannotRun)
        #expect(error?.message.hasPrefix("\(endpoint): cannot connect") == true)
    }

    @Test func serverErrorsAreTyped() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect()
        _ = try await connection.send("SET", "k", "v")
        let wrongType = await #expect(throws: RedisError.self) { try await connection.send("LPUSH", "k", "x") }
        guard case .server(let text) = wrongType?.kind else {
            Issue.record("not a server error")
            return
        }
        #expect(text.hasPrefix("WRONGTYPE"))
        // Binary-safe values survive the round trip.
        let bytes: [UInt8] = [0, 13, 10, 0xFF, 0x7B]
        _ = try await connection.send(RedisCommand([ByteBuffer(string: "SET"), ByteBuffer(string: "bin"), ByteBuffer(bytes: bytes)]))
        #expect(try await connection.send("GET", "bin").bytes == ByteBuffer(bytes: bytes))
        await connection.close()
    }

    /// Regression test: a node that accepts the connection and never answers (or trickles bytes)
    /// fails the connect by the options' deadline, however long the command timeout.
    @Test func deadlineBoundsTheHandshakeOnAnUnresponsiveNode() async throws {
        for behaviour in [UnresponsiveListener.Behaviour.silent,
                          .drip(pattern: Array("+OK\r\n".utf8), interval: .milliseconds(300))] {
            let listener = try await UnresponsiveListener.start(behaviour)
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) {
                try await RedisConnection.connect(to: listener.endpoint, options: .init(
                    password: "pw", commandTimeout: .seconds(30), deadline: .after(.seconds(1)), clientName: "n"))
            }
            let elapsed = ContinuousClock.now - started
            await listener.stop()
            #expect(error?.kind == .timeout(command: "AUTH") || error?.kind == .timeout(command: "CLIENT"), "\(String(describing: error))")
            #expect(error?.endpoint == listener.endpoint)
            #expect(elapsed < .seconds(5), "took \(elapsed)")
        }
    }
}
