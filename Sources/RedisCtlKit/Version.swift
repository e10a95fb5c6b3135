/// The version `redisctl --version` prints; bumped with each release in CHANGELOG.md.
public enum RedisCtlVersion {
    public static let current = "0.1.0"
}
