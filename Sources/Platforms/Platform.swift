import RedisCtlCore
import RESP
import Spec

/// One Redis "pod": a Kubernetes pod or a local redis-server process.
public struct PodEndpoint: Sendable, Equatable, Codable {
    /// Pod name, e.g. `redis-cluster-0`.
    public var name: String
    /// StatefulSet ordinal; scale-down removes the highest first.
    public var ordinal: Int
    /// Where Redis listens, as the nodes know each other (pod IP or loopback address).
    public var endpoint: RedisEndpoint
    /// The Kubernetes node the pod runs on.
    public var nodeName: String?
    /// The machine, where there is no Kubernetes node (the local platform: this host).
    public var host: String?
    /// The zone of that machine (`topology.kubernetes.io/zone`), when known.
    public var zone: String?
    public var ready: Bool

    public init(name: String, ordinal: Int, endpoint: RedisEndpoint, nodeName: String? = nil, host: String? = nil,
                zone: String? = nil, ready: Bool) {
        self.name = name
        self.ordinal = ordinal
        self.endpoint = endpoint
        self.nodeName = nodeName
        self.host = host
        self.zone = zone
        self.ready = ready
    }
}

/// What `apply` changed, for the deploy report.
public struct ApplyResult: Sendable, Equatable, Codable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    public var deleted: [String] = []

    public init(created: [String] = [], updated: [String] = [], unchanged: [String] = [], deleted: [String] = []) {
        self.created = created
        self.updated = updated
        self.unchanged = unchanged
        self.deleted = deleted
    }

    public var changedAnything: Bool { !created.isEmpty || !updated.isEmpty || !deleted.isEmpty }

    public mutating func merge(_ other: ApplyResult) {
        created += other.created
        updated += other.updated
        unchanged += other.unchanged
        deleted += other.deleted
    }
}

/// How applications reach the cluster (the seed's "Connection Information").
public struct ConnectionEndpoints: Sendable, Equatable, Codable {
    /// The address clients should use first.
    public var primary: RedisEndpoint
    /// Every node, for cluster-aware clients that want seeds.
    public var nodes: [RedisEndpoint]
    public var metrics: RedisEndpoint?

    public init(primary: RedisEndpoint, nodes: [RedisEndpoint], metrics: RedisEndpoint? = nil) {
        self.primary = primary
        self.nodes = nodes
        self.metrics = metrics
    }
}

/// Where the cluster lives. Cluster operations only see pods, a password and a dialer, so they run
/// unchanged on Kubernetes and on the local platform.
public protocol Platform: Sendable {
    /// `local` or `kubernetes`, for messages.
    var kind: String { get }
    /// The cluster's name.
    var clusterName: String { get }
    /// Brings the pods to what the deployment asks (starts processes, applies manifests) and records
    /// it as the deployed spec. Pods it would remove are first shown to `removalGuard`.
    func apply(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deadline: Deadline,
               progress: any ProgressReporter) async throws -> ApplyResult
    /// The deployment the last apply or resize brought the pods to, with the size `scale` gave them;
    /// nil when none is recorded (nothing deployed yet, or by a redisctl that kept no record).
    /// A record that cannot be read fails, naming where it is.
    func deployedSpec() async throws -> RedisDeployment?
    /// Waits until every pod the deployment asks for is ready; returns them ordered by ordinal.
    func waitForPods(count: Int, deadline: Deadline, progress: any ProgressReporter) async throws -> [PodEndpoint]
    /// The pods as they are now, ordered by ordinal (ready or not).
    func pods() async throws -> [PodEndpoint]
    /// The cluster's Redis password (the admin, `default` user's), from the platform's secret store.
    func password() async throws -> String
    /// The passwords of the deployment's ACL users (`spec.auth.effectiveUsers`), by user name. One
    /// that is missing or unreadable fails, naming where it was looked for.
    func userPasswords(for deployment: RedisDeployment) async throws -> [String: UserPasswords]
    /// How to open connections to pod addresses (plain TCP or a tunnel; TLS goes on top, see `nodeTrust`).
    var dialer: any RedisDialer { get }
    /// How clients trust the nodes when `spec` turns TLS on: the CA that signed their certificates
    /// and the name those carry; nil when TLS is off. A CA that is missing or unreadable fails,
    /// naming where it was looked for.
    func nodeTrust(for spec: DeploymentSpec) async throws -> NodeTrust?
    /// Endpoints for applications.
    func connectionEndpoints() async throws -> ConnectionEndpoints
    /// Pods still running a configuration older than the last `apply`, in the order they must be
    /// restarted: highest ordinal first, the only order a StatefulSet partition allows.
    func podsAwaitingRestart() async throws -> [PodEndpoint]
    /// Restarts one pod onto `deployment` as `apply` applied it (the live size included); returns
    /// it (maybe on a new address) once it is ready again. Data and the node's cluster identity survive.
    func restart(_ pod: PodEndpoint, of deployment: RedisDeployment, deadline: Deadline) async throws -> PodEndpoint
    /// Removes what `apply` made; data survives unless `deleteData`.
    func destroy(deleteData: Bool, deadline: Deadline, progress: any ProgressReporter) async throws -> ApplyResult
    /// Releases what the platform holds open (HTTP clients).
    func shutdown() async
    /// `scale`: brings the pod count to `deployment`'s (the spec with the new shape). Growing creates
    /// the next ordinals and waits until they are ready; shrinking removes the highest ordinals, which
    /// must already have left the Redis cluster (`removalGuard` is asked first). Their data stays
    /// unless `deleteData`. Records `deployment` as the deployed spec.
    func resize(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deleteData: Bool, deadline: Deadline,
                progress: any ProgressReporter) async throws -> [PodEndpoint]
}

/// The CA clients trust to reach a TLS deployment's nodes, and where users find it.
public struct NodeTrust: Sendable, Equatable {
    /// PEM certificates (the old and new CA during a rotation).
    public var caCertificatesPEM: String
    /// Where the CA is kept, for `connection` and messages: a file path, or `Secret ns/name key ca.crt`.
    public var location: String
    /// A file users can pass as `--cacert`; nil where the CA lives in a Secret.
    public var caFile: String?
    /// The name every node's certificate carries, checked instead of the address dialled (pods are
    /// dialled by IP); nil: the address itself is in each certificate.
    public var serverName: String?

    public init(caCertificatesPEM: String, location: String, caFile: String? = nil, serverName: String? = nil) {
        self.caCertificatesPEM = caCertificatesPEM
        self.location = location
        self.caFile = caFile
        self.serverName = serverName
    }

    /// The client TLS context trusting this CA only.
    public func redisTLS() throws -> RedisTLS {
        guard let tls = RedisTLS(trustingPEM: caCertificatesPEM, serverName: serverName) else {
            throw GeneralFailure(.cannotRun, "the cluster's CA in \(location) holds no PEM certificate")
        }
        return tls
    }
}

/// Asked before an apply or resize removes pods. Throws, naming them, unless each one can go
/// without losing data (it owns no slots and holds no keys); the platform then changes nothing.
/// The platform decides which pods a change removes; the guard knows how to ask Redis.
public protocol PodRemovalGuard: Sendable {
    func ensureRemovable(_ pods: [PodEndpoint], deadline: Deadline) async throws
}

extension Platform {
    public func shutdown() async {}
}

// MARK: Capabilities some platforms have
// Commands ask for a capability, never for a concrete platform type.

/// A platform whose API server can check every object without storing it (`deploy --dry-run server`).
public protocol ServerSideDryRunning: Platform {
    func serverDryRun(_ deployment: RedisDeployment, progress: any ProgressReporter) async throws -> [DryRunObject]
}

/// One object of `deploy --dry-run server`: what applying it would do, and whether the server
/// checked that.
public struct DryRunObject: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Equatable, Codable {
        case created, updated, unchanged
    }

    /// `Kind namespace/name`.
    public var object: String
    public var result: Outcome
    /// False for an object in a namespace that does not exist yet: a dry run creates no
    /// namespace, and the server checks nothing inside one before it exists.
    public var checked: Bool
    /// Why it was not checked.
    public var note: String?

    public init(object: String, result: Outcome, checked: Bool, note: String? = nil) {
        self.object = object
        self.result = result
        self.checked = checked
        self.note = note
    }

    package static func awaitingNamespace(_ object: String, namespace: String) -> DryRunObject {
        DryRunObject(object: object, result: .created, checked: false,
                     note: "would be created; the server cannot check it until namespace \(namespace) exists")
    }
}

/// A platform that keeps named secrets beside the cluster's password (the backup credentials).
public protocol SecretSource: Platform {
    /// The secret's values by key, decoded; nil when there is no such secret. A value that cannot
    /// be decoded fails, naming the secret and the key.
    func secretValues(named name: String) async throws -> [String: String]?
}

/// A platform that limits voluntary disruptions (drains, upgrades) per shard: Kubernetes'
/// PodDisruptionBudgets. The local platform has no evictions.
public protocol DisruptionBudgeting: Platform {
    /// Brings the Redis pods' budgets in step with `shards` (each the pod names of a master and its
    /// replicas, as the cluster has them now): one per shard where the spec wants that, and none of
    /// ours left that the spec does not (a shard that is gone, an older spec's cluster-wide one).
    func keepDisruptionBudgets(shards: [[String]], of deployment: RedisDeployment,
                               progress: any ProgressReporter) async throws -> ApplyResult
}
