import Testing
@testable import Spec

@Suite struct SpecLoaderTests {
    @Test func emptyDocumentIsTheSeedDeployment() throws {
        let deployment = try SpecLoader.parse(yaml: "")
        #expect(deployment == RedisDeployment.defaults)
        #expect(deployment.metadata.name == "redis-cluster")
        #expect(deployment.metadata.namespace == "redis-system")
        #expect(deployment.spec.masters == 3)
        #expect(deployment.spec.replicasPerMaster == 1)
        #expect(deployment.spec.redisPodCount == 6)
        #expect(deployment.spec.redis.maxmemory == "6gb")
        #expect(deployment.spec.redis.maxmemoryBytes == Int64(6) << 30)
        #expect(deployment.spec.redis.save == ["900 1", "300 10", "60 10000"])
        #expect(deployment.spec.disruption.minAvailable == nil, "one budget per shard unless asked")
        #expect(deployment.spec.backup.daily.schedule == "0 2 * * *")
        #expect(deployment.spec.backup.daily.keep == 7)
        #expect(deployment.spec.resources.limits.memory == "16Gi")
    }

    @Test func partialSpecKeepsOtherDefaults() throws {
        let yaml = """
        apiVersion: redisctl.io/v1alpha1
        kind: RedisDeployment
        metadata: {name: cache}
        spec:
          masters: 5
          replicasPerMaster: 2
          resources: {requests: {cpu: 1}}
          storage: {storageClassName: fast-ssd}
          redis: {maxmemory: 2gb, extraConfig: {hz: "20"}}
        """
        let deployment = try SpecLoader.parse(yaml: yaml)
        #expect(deployment.metadata.name == "cache")
        #expect(deployment.metadata.namespace == "redis-system")
        #expect(deployment.spec.redisPodCount == 15)
        #expect(deployment.spec.resources.requests.cpu == "1")
        #expect(deployment.spec.resources.requests.memory == "8Gi")
        #expect(deployment.spec.storage.storageClassName == "fast-ssd")
        #expect(deployment.spec.storage.size == "100Gi")
        #expect(deployment.spec.redis.maxmemoryPolicy == "allkeys-lru")
        #expect(deployment.spec.redis.extraConfig == ["hz": "20"])
    }

    /// Each invalid spec is rejected, naming the field path.
    @Test(arguments: [
        ("spec: {replicasPerMster: 2}", "spec.replicasPerMster", "unknown field"),
        ("spec: {redis: {maxmemroy: 1gb}}", "spec.redis.maxmemroy", "unknown field"),
        ("spec: {masters: two}", "spec.masters", "expected an integer"),
        ("spec: {masters: 2}", "spec.masters", "at least 3 masters"),
        ("spec: {sentinel: {replicas: 3, quorum: 4}}", "spec.sentinel.quorum", "sentinel count"),
        ("spec: {resources: {requests: {memory: 8GB}}}", "spec.resources.requests.memory", "quantity"),
        ("spec: {storage: {size: -5Gi}}", "spec.storage.size", "quantity"),
        ("spec: {redis: {maxmemory: lots}}", "spec.redis.maxmemory", "memory size"),
        ("spec: {redis: {maxmemoryPolicy: lru}}", "spec.redis.maxmemoryPolicy", "not one of"),
        ("spec: {redis: {appendfsync: sometimes}}", "spec.redis.appendfsync", "not one of"),
        ("spec: {redis: {save: [\"900\"]}}", "spec.redis.save[0]", "<seconds> <changes>"),
        ("spec: {backup: {hourly: {schedule: \"61 * * * *\"}}}", "spec.backup.hourly.schedule", "cron"),
        ("spec: {backup: {daily: {schedule: \"0 2 * *\", keep: 7}}}", "spec.backup.daily.schedule", "cron"),
        ("spec: {backup: {daily: {schedule: \"0 2 * * *\", keep: 0}}}", "spec.backup.daily.keep", "at least 1"),
        ("spec: {disruption: {minAvailable: 7}}", "spec.disruption.minAvailable", "pod count 6"),
        ("metadata: {name: Redis_Cluster}", "metadata.name", "DNS label"),
        ("spec: {topology: mesh}", "spec.topology", "cluster, sentinel"),
        ("spec: {redis: {extraConfig: {requirepass: x}}}", "spec.redis.extraConfig.requirepass", "managed by redisctl"),
        ("spec: {redis: {maxmemory: 20gb}}", "spec.redis.maxmemory", "memory limit"),
        ("spec: {networkPolicy: {allowedNamespaces: [\"Bad Name\"]}}", "spec.networkPolicy.allowedNamespaces[0]", "namespace"),
        ("kind: Deployment", "kind", "RedisDeployment"),
        ("spec: [1, 2]", "spec", "mapping"),
    ])
    func invalidSpecIsRejectedWithItsPath(yaml: String, path: String, reasonFragment: String) {
        do {
            _ = try SpecLoader.parse(yaml: yaml, source: "test.yaml")
            Issue.record("accepted an invalid spec: \(yaml)")
        } catch let error as SpecError {
            #expect(error.path == path, "\(error.message)")
            #expect(error.reason.contains(reasonFragment), "\(error.message)")
            #expect(error.message.hasPrefix("test.yaml: invalid spec: \(path): "))
            #expect(error.category == .cannotRun)
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func malformedYAMLIsAClearError() {
        #expect(throws: SpecError.self) { try SpecLoader.parse(yaml: "spec: {masters: [") }
    }

    /// Regression test: a YAML syntax error said neither line nor column.
    @Test func yamlSyntaxErrorsSayWhere() throws {
        let yaml = "apiVersion: redisctl.io/v1alpha1\nspec:\n  masters: 3\n   replicasPerMaster: 1\n"
        let error = try #require(throws: SpecError.self) { try SpecLoader.parse(yaml: yaml, source: "r.yaml") }
        #expect(error.message.hasPrefix("r.yaml: invalid spec: (document): not valid YAML: line 4, column "), "\(error.message)")
        #expect(!error.message.contains("\n"), "one line: \(error.message)")
        let duplicate = try #require(throws: SpecError.self) { try SpecLoader.parse(yaml: "spec: {masters: 3}\nspec: {masters: 4}\n") }
        #expect(duplicate.message.contains("duplicate key 'spec'") && duplicate.message.contains("line "), "\(duplicate.message)")
    }

    /// Regression test: a spec with thousands of extraConfig keys took time quadratic in their
    /// number (Yams looks each mapping key up one by one). 20,000 keys: a generous bound.
    @Test func thousandsOfExtraConfigKeysLoadInLinearTime() throws {
        let count = 20_000
        let entries = (0..<count).map { "      key-\($0): \"value \($0)\"" }.joined(separator: "\n")
        let yaml = "spec:\n  redis:\n    maxmemory: 2gb\n    extraConfig:\n" + entries + "\n"
        let started = ContinuousClock.now
        let deployment = try SpecLoader.parse(yaml: yaml)
        let rendered = RedisConfigBuilder.common(for: deployment.spec)
        let elapsed = ContinuousClock.now - started
        #expect(deployment.spec.redis.extraConfig.count == count)
        #expect(deployment.spec.redis.extraConfig["key-19999"] == "value 19999")
        #expect(deployment.spec.redis.maxmemory == "2gb")
        #expect(rendered.filter { $0.name.hasPrefix("key-") }.count == count)
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }

    @Test func extraConfigValuesAreScalars() throws {
        let numbers = try SpecLoader.parse(yaml: "spec: {redis: {extraConfig: {hz: 20, activedefrag: yes}}}")
        #expect(numbers.spec.redis.extraConfig == ["hz": "20", "activedefrag": "yes"])
        let nested = try #require(throws: SpecError.self) { try SpecLoader.parse(yaml: "spec: {redis: {extraConfig: {hz: [1]}}}") }
        #expect(nested.path == "spec.redis.extraConfig.hz" && nested.reason == "expected a string", "\(nested.message)")
        let wrongType = try #require(throws: SpecError.self) { try SpecLoader.parse(yaml: "spec: {redis: {extraConfig: [1]}}") }
        #expect(wrongType.path == "spec.redis.extraConfig", "\(wrongType.message)")
    }

    @Test func missingFileNamesTheFile() {
        do {
            _ = try SpecLoader.load(path: "/nonexistent/redisctl.yaml")
            Issue.record("loaded a missing file")
        } catch let error as SpecError {
            #expect(error.message.contains("/nonexistent/redisctl.yaml"))
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func quantities() {
        #expect(Quantity(parsing: "8Gi")?.value == 8_589_934_592.0)
        #expect(Quantity(parsing: "500m")?.value == 0.5)
        #expect(Quantity(parsing: "2")?.value == 2)
        #expect(Quantity(parsing: "1e3")?.value == 1000)
        #expect(Quantity(parsing: "8GB") == nil)
        #expect(Quantity(parsing: "") == nil)
        #expect(Quantity(parsing: "Gi") == nil)
    }

    @Test func cronSchedules() {
        #expect(CronSchedule.isValid("0 * * * *"))
        #expect(CronSchedule.isValid("*/15 0-6 1,15 * 1-5"))
        #expect(CronSchedule.isValid("@daily"))
        #expect(!CronSchedule.isValid("0 24 * * *"))
        #expect(!CronSchedule.isValid("* * * * * *"))
        #expect(!CronSchedule.isValid("*/0 * * * *"))
        #expect(!CronSchedule.isValid("5-1 * * * *"))
    }
}

@Suite struct RedisConfigBuilderTests {
    @Test func seedSettingsAreRendered() {
        let config = RedisConfig(RedisConfigBuilder.common(for: DeploymentSpec())).render()
        for line in ["maxmemory 6gb", "maxmemory-policy allkeys-lru", "appendonly yes", "appendfsync everysec",
                     "save 900 1 300 10 60 10000", "io-threads 4", "cluster-enabled yes",
                     "cluster-node-timeout 15000", "slowlog-log-slower-than 10000", "lazyfree-lazy-eviction yes"] {
            #expect(config.contains("\n\(line)\n") || config.hasPrefix("\(line)\n"), "missing: \(line)")
        }
        #expect(!config.contains("requirepass"))
    }

    @Test func sentinelTopologyHasNoClusterDirectives() {
        let spec = DeploymentSpec(topology: .sentinel, masters: 1)
        let config = RedisConfig(RedisConfigBuilder.common(for: spec)).render()
        #expect(!config.contains("cluster-enabled"))
    }

    @Test func emptySaveDisablesSnapshotsAndExtraConfigIsSorted() {
        var spec = DeploymentSpec()
        spec.redis.save = []
        spec.redis.extraConfig = ["hz": "20", "activedefrag": "yes"]
        let lines = RedisConfig(RedisConfigBuilder.common(for: spec)).render().split(separator: "\n")
        #expect(lines.contains("save \"\""))
        let extra = lines.suffix(2)
        #expect(Array(extra) == ["activedefrag yes", "hz 20"])
    }

    @Test func argumentsWithSpacesAreQuoted() {
        #expect(RedisConfigDirective("logfile", "/tmp/a b.log").line == "logfile \"/tmp/a b.log\"")
        #expect(RedisConfigDirective("requirepass", "p\"w").line == "requirepass \"p\\\"w\"")
    }

    /// A raw newline would end the line and start a directive of its own: control characters are
    /// escaped as Redis' parser reads them inside double quotes.
    @Test func controlCharactersAreEscaped() {
        #expect(RedisConfigDirective("requirepass", "a\nrename-command FLUSHALL x").line
            == "requirepass \"a\\nrename-command FLUSHALL x\"")
        #expect(RedisConfigDirective("requirepass", "t\tr\r\u{1}\u{7f}").line == "requirepass \"t\\tr\\r\\x01\\x7f\"")
        #expect(RedisConfigDirective("requirepass", "plain-Pa55").line == "requirepass plain-Pa55")
    }
}
