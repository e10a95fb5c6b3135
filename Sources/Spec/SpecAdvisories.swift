extension DeploymentSpec {
    /// Valid settings that work against each other where the manifests run them: commands that
    /// render manifests print each one as a warning, and apply the spec as written.
    public var manifestAdvisories: [String] {
        var found: [String] = []
        // Redis's I/O threads are busy threads: more of them than the pod's CPU limit spend the
        // quota spinning (on 2 CPUs, 4 threads per server cut SET throughput to a tenth).
        if let limit = resources.limits.cpu.value, Double(redis.ioThreads) > limit {
            // limit < ioThreads <= 128 here, so the conversion cannot trap.
            let fitting = max(1, Int(limit.rounded(.down)))
            found.append("spec.redis.ioThreads \(redis.ioThreads) exceeds the pod's CPU limit "
                         + "\(resources.limits.cpu.text): the threads compete for the quota; set ioThreads to at most \(fitting)")
        }
        if let minAvailable = disruption.minAvailable, topology == .cluster, replicasPerMaster > 0 {
            found.append("spec.disruption.minAvailable \(minAvailable) makes one budget over every Redis pod: an eviction "
                         + "can take a master and its replicas together; leave it out for one budget per shard")
        }
        return found
    }
}
