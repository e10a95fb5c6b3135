/// The core API group (`v1`): namespaces, secrets, config maps, services, pods' pieces.
public enum CoreV1 {}
