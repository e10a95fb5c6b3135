/// Checks a decoded spec for impossible values. Pure: returns the first problem, or nil.
public enum SpecValidator {
    public static func validate(_ deployment: RedisDeployment) -> SpecError? {
        problems(in: deployment).first
    }

    /// Every problem found, in field order.
    public static func problems(in deployment: RedisDeployment) -> [SpecError] {
        var found: [SpecError] = []
        func check(_ condition: Bool, _ path: String, _ reason: @autoclosure () -> String) {
            if !condition { found.append(SpecError(path: path, reason: reason())) }
        }
        let spec = deployment.spec
        check(deployment.apiVersion == RedisDeployment.apiVersionValue, "apiVersion",
              "must be \(RedisDeployment.apiVersionValue)")
        check(deployment.kind == RedisDeployment.kindValue, "kind", "must be \(RedisDeployment.kindValue)")
        // 52: a StatefulSet's pods get a controller-revision label of name + 11 characters, max 63.
        check(isDNSLabel(deployment.metadata.name, maxLength: 52), "metadata.name",
              "'\(deployment.metadata.name)' is not a DNS label (lowercase letters, digits and '-', at most 52 characters)")
        check(isDNSLabel(deployment.metadata.namespace), "metadata.namespace",
              "'\(deployment.metadata.namespace)' is not a DNS label")
        if let issuer = spec.tls.issuer {
            check(issuer.name.count <= 253 && issuer.name.split(separator: ".", omittingEmptySubsequences: false)
                    .allSatisfy { isDNSLabel(String($0)) }, "spec.tls.issuer.name", "'\(issuer.name)' is not an issuer name")
            check(!issuer.kind.isEmpty && issuer.kind.allSatisfy { $0.isLetter }, "spec.tls.issuer.kind",
                  "'\(issuer.kind)' is not a kind (Issuer, ClusterIssuer, or an external issuer's)")
            check(!issuer.group.isEmpty && !issuer.group.contains(" "), "spec.tls.issuer.group", "'\(issuer.group)' is not an API group")
            check(spec.tls.enabled, "spec.tls.issuer", "names an issuer, but tls.enabled is false")
        }
        for (index, user) in (spec.auth.users ?? []).enumerated() {
            let path = "spec.auth.users[\(index)]"
            // The name ends a Secret's name (`<secretName>-<user>`).
            check(isDNSLabel(user.name, maxLength: 40), "\(path).name",
                  "'\(user.name)' is not a user name redisctl can keep (lowercase letters, digits and '-', at most 40)")
            check(!ACLUsers.reservedNames.contains(user.name), "\(path).name", "'\(user.name)' is reserved")
            check((spec.auth.users ?? []).filter { $0.name == user.name }.count == 1, "\(path).name", "'\(user.name)' is listed twice")
            check(!user.ruleArguments.isEmpty && user.rules.count <= 4096
                  && !user.rules.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7f },
                  "\(path).rules", "must be ACL rules on one line (at most 4096 characters)")
            let controlled = user.ruleArguments.filter { token in
                ["nopass", "resetpass", "reset", "on", "off"].contains(token.lowercased())
                    || token.hasPrefix(">") || token.hasPrefix("<") || token.hasPrefix("#") || token.hasPrefix("!")
            }
            check(controlled.isEmpty, "\(path).rules",
                  "'\(controlled.first ?? "")' is redisctl's to set: it keeps each user on, with a password of its own")
        }

        if spec.topology == .cluster {
            check(spec.masters >= 3, "spec.masters",
                  "a Redis Cluster needs at least 3 masters to fail over (got \(spec.masters))")
        } else {
            check(spec.masters == 1, "spec.masters", "the sentinel topology has exactly one primary (got \(spec.masters))")
        }
        check(spec.masters <= 1000, "spec.masters", "at most 1000 masters (got \(spec.masters))")
        check((0...5).contains(spec.replicasPerMaster), "spec.replicasPerMaster",
              "must be between 0 and 5 (got \(spec.replicasPerMaster))")
        check(!spec.image.isEmpty && !spec.image.contains(" "), "spec.image", "must be an image reference")
        check(!spec.backup.image.isEmpty && !spec.backup.image.contains(" "), "spec.backup.image", "must be an image reference")

        let r = spec.resources
        for (path, quantity) in [("spec.resources.requests.cpu", r.requests.cpu),
                                 ("spec.resources.requests.memory", r.requests.memory),
                                 ("spec.resources.limits.cpu", r.limits.cpu),
                                 ("spec.resources.limits.memory", r.limits.memory),
                                 ("spec.storage.size", spec.storage.size)] {
            check(quantity.value.map { $0 > 0 } ?? false, path, "'\(quantity)' is not a positive quantity")
        }
        if let request = r.requests.cpu.value, let limit = r.limits.cpu.value {
            check(request <= limit, "spec.resources.requests.cpu", "request \(r.requests.cpu) exceeds limit \(r.limits.cpu)")
        }
        if let request = r.requests.memory.value, let limit = r.limits.memory.value {
            check(request <= limit, "spec.resources.requests.memory",
                  "request \(r.requests.memory) exceeds limit \(r.limits.memory)")
        }

        let redis = spec.redis
        check(redis.maxmemoryBytes != nil, "spec.redis.maxmemory",
              "'\(redis.maxmemory)' is not a Redis memory size (e.g. 6gb, 512mb)")
        if let maxmemory = redis.maxmemoryBytes, let limit = r.limits.memory.value {
            check(Double(maxmemory) < limit, "spec.redis.maxmemory",
                  "\(redis.maxmemory) does not fit in the memory limit \(r.limits.memory)")
        }
        let policies = ["volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random",
                        "allkeys-random", "volatile-ttl", "noeviction"]
        check(policies.contains(redis.maxmemoryPolicy), "spec.redis.maxmemoryPolicy",
              "'\(redis.maxmemoryPolicy)' is not one of \(policies.joined(separator: ", "))")
        check(["always", "everysec", "no"].contains(redis.appendfsync), "spec.redis.appendfsync",
              "'\(redis.appendfsync)' is not one of always, everysec, no")
        for (index, point) in redis.save.enumerated() {
            let fields = point.split(separator: " ")
            check(fields.count == 2 && fields.allSatisfy { Int($0).map { $0 > 0 } ?? false },
                  "spec.redis.save[\(index)]", "'\(point)' is not '<seconds> <changes>'")
        }
        check((1...128).contains(redis.ioThreads), "spec.redis.ioThreads", "must be between 1 and 128")
        check(redis.clusterNodeTimeoutMs >= 100, "spec.redis.clusterNodeTimeoutMs", "must be at least 100")
        check(redis.slowlogLogSlowerThanUs >= -1, "spec.redis.slowlogLogSlowerThanUs", "must be -1 or more")
        for key in redis.extraConfig.keys.sorted() {
            let reserved = RedisConfigBuilder.reservedDirectives
            check(!reserved.contains(key.lowercased()), "spec.redis.extraConfig.\(key)",
                  "is managed by redisctl and cannot be overridden")
            check(!key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" },
                  "spec.redis.extraConfig.\(key)", "is not a redis.conf directive name")
            check(!(redis.extraConfig[key] ?? "").contains("\n"), "spec.redis.extraConfig.\(key)",
                  "a value must be on one line")
        }

        let sentinel = spec.sentinel
        check(sentinel.replicas >= 1, "spec.sentinel.replicas", "must be at least 1")
        check(sentinel.quorum >= 1 && sentinel.quorum <= sentinel.replicas, "spec.sentinel.quorum",
              "\(sentinel.quorum) must be between 1 and the sentinel count \(sentinel.replicas)")
        check(sentinel.downAfterMs > 0, "spec.sentinel.downAfterMs", "must be positive")
        check(sentinel.failoverTimeoutMs > 0, "spec.sentinel.failoverTimeoutMs", "must be positive")
        check(sentinel.parallelSyncs >= 1, "spec.sentinel.parallelSyncs", "must be at least 1")

        if let minAvailable = spec.disruption.minAvailable {
            check(minAvailable >= 0 && minAvailable <= spec.redisPodCount, "spec.disruption.minAvailable",
                  "\(minAvailable) must be between 0 and the pod count \(spec.redisPodCount)")
        }
        check(!spec.placement.topologyKeys.isEmpty || spec.placement.antiAffinity == .none,
              "spec.placement.topologyKeys", "anti-affinity needs at least one topology key")
        for (index, namespace) in spec.networkPolicy.allowedNamespaces.enumerated() {
            check(isDNSLabel(namespace), "spec.networkPolicy.allowedNamespaces[\(index)]",
                  "'\(namespace)' is not a namespace name")
        }
        check(isDNSLabel(spec.networkPolicy.monitoringNamespace), "spec.networkPolicy.monitoringNamespace",
              "'\(spec.networkPolicy.monitoringNamespace)' is not a namespace name")

        for (name, schedule) in [("hourly", spec.backup.hourly), ("daily", spec.backup.daily)] {
            check(CronSchedule.isValid(schedule.schedule), "spec.backup.\(name).schedule",
                  "'\(schedule.schedule)' is not a five-field cron schedule")
            check(schedule.keep >= 1, "spec.backup.\(name).keep", "must be at least 1")
        }
        if let endpoint = spec.backup.s3.endpoint {
            check(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://"), "spec.backup.s3.endpoint",
                  "'\(endpoint)' must be an http:// or https:// URL")
        }
        return found
    }

    /// RFC 1123 label: what Kubernetes accepts for names of namespaces and most objects.
    static func isDNSLabel(_ text: String, maxLength: Int = 63) -> Bool {
        guard !text.isEmpty, text.count <= maxLength,
              let first = text.first, let last = text.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber
        else { return false }
        return text.allSatisfy { ($0.isLowercase && $0.isASCII) || ($0.isNumber && $0.isASCII) || $0 == "-" }
    }
}

/// Five-field cron schedules as Kubernetes CronJobs accept them (plus the `@hourly`-style macros).
public enum CronSchedule {
    static let ranges: [ClosedRange<Int>] = [0...59, 0...23, 1...31, 1...12, 0...7]

    public static func isValid(_ schedule: String) -> Bool {
        let macros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
        if macros.contains(schedule) { return true }
        let fields = schedule.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 5 else { return false }
        return zip(fields, ranges).allSatisfy { field, range in isValidField(String(field), range) }
    }

    private static func isValidField(_ field: String, _ range: ClosedRange<Int>) -> Bool {
        field.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { part in
            let stepParts = part.split(separator: "/", omittingEmptySubsequences: false)
            guard stepParts.count <= 2 else { return false }
            if stepParts.count == 2, Int(stepParts[1]).map({ $0 < 1 }) ?? true { return false }
            let base = stepParts[0]
            if base == "*" || base == "?" { return true }
            let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count) else { return false }
            let values = bounds.compactMap { Int($0) }
            guard values.count == bounds.count, values.allSatisfy(range.contains) else { return false }
            return values.count == 1 || values[0] <= values[1]
        }
    }
}
