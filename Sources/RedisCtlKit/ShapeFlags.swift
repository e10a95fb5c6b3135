import ClusterOps

/// `--masters` and `--replicas-per-master` as `init-cluster` and `scale` take them: checked before
/// any I/O, so an impossible shape is a usage error (exit 64), not a failure after contacting nodes.
public enum ShapeFlags {
    /// What is wrong with the values given (nil: fine, or not given).
    public static func problem(masters: Int?, replicasPerMaster: Int?) -> String? {
        if let masters, !(ClusterLayout.minimumMasters...SlotRange.slotCount).contains(masters) {
            return "--masters \(masters): a Redis Cluster needs between \(ClusterLayout.minimumMasters) and "
                + "\(SlotRange.slotCount) masters"
        }
        if let replicasPerMaster, replicasPerMaster < 0 {
            return "--replicas-per-master \(replicasPerMaster) must be 0 or more"
        }
        return nil
    }
}
