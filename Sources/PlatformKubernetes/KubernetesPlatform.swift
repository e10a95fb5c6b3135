import Foundation
import Kubernetes
import Manifests
import Platforms
import RedisCtlCore
import RESP
import Spec

/// A deployment on a real cluster: typed manifests applied with server-side apply, pods found by
/// label with their IPs, nodes and zones, and the password kept in the auth Secret.
public struct KubernetesPlatform: Platform {
    public let kind = "kubernetes"
    public let deployment: RedisDeployment
    public let client: KubernetesClient
    public let dialer: any RedisDialer
    let names: ManifestNames

    public static let redisPort = 6379
    /// The field manager every apply uses, so a second deploy owns exactly what the first did.
    public static let fieldManager = "redisctl"

    /// How RESP connections reach the pods.
    public enum Connect: String, Sendable, CaseIterable {
        /// By pod IP: from inside the cluster.
        case direct
        /// Through the API server's `pods/NAME/portforward`, one WebSocket per connection.
        case portForward = "port-forward"
    }

    public init(deployment: RedisDeployment, client: KubernetesClient, connect: Connect = .direct) {
        self.deployment = deployment
        self.client = client
        self.names = ManifestNames(deployment)
        switch connect {
        case .direct:
            self.dialer = TCPDialer()
        case .portForward:
            // Pod IPs (what the nodes announce, and what MOVED and ASK name) map to pod names,
            // re-read from the API when an address is new (a pod came back on another IP).
            let resolver = PodAddressResolver(client: client, namespace: deployment.metadata.namespace,
                                              selector: Self.podSelector(for: deployment))
            self.dialer = PortForwardDialer(
                tunnel: PortForwardTunnel(configuration: client.configuration, namespace: deployment.metadata.namespace),
                podName: { endpoint in try await resolver.podName(for: endpoint) })
        }
    }

    public var clusterName: String { deployment.metadata.name }
    var namespace: String { deployment.metadata.namespace }

    /// The label selector of the Redis pods (the StatefulSet's own selector).
    var podSelector: String { Self.podSelector(for: deployment) }

    static func podSelector(for deployment: RedisDeployment) -> String {
        "\(ManifestLabels.nameKey)=redis,\(ManifestLabels.instanceKey)=\(deployment.metadata.name),"
            + "\(ManifestLabels.componentKey)=redis"
    }

    // MARK: Apply

    /// The StatefulSet annotation that holds the deployed spec (JSON), size included.
    public static let deployedSpecAnnotation = "redisctl.io/deployed-spec"

    public func apply(_ deployment: RedisDeployment, removalGuard: any PodRemovalGuard, deadline: Deadline,
                      progress: any ProgressReporter) async throws -> ApplyResult {
        // A smaller StatefulSet removes its highest ordinals: they are checked before anything is sent.
        try await ensureRemovable(podsAbove: deployment.spec.redisPodCount, removalGuard: removalGuard, deadline: deadline)
        var result = ApplyResult()
        for object in try await servedObjects(of: deployment, progress: progress) {
            switch try await apply(object, dryRun: false, progress: progress) {
            case .created: result.created.append(object.displayName)
            case .updated: result.updated.append(object.displayName)
            case .unchanged: result.unchanged.append(object.displayName)
            }
        }
        return result
    }

    /// The deployment's objects in dependency order (the manifest set's file order: the Namespace
    /// first), without those of API groups the cluster does not serve (a warning names them).
    func servedObjects(of deployment: RedisDeployment, progress: any ProgressReporter) async throws -> [any KubernetesObject] {
        var objects = try deployedObjects(of: deployment)
        if let generated = try await tlsSecretsToCreate(for: deployment),
           let firstWorkload = objects.firstIndex(where: { $0 is AppsV1.StatefulSet }) {
            objects.insert(contentsOf: generated as [any KubernetesObject], at: firstWorkload)
        }
        for advisory in deployment.spec.manifestAdvisories { progress.warning(advisory) }
        let available = try await client.discoverGroupVersions()
        let certificates = CertManagerV1.Certificate.resource.apiVersion
        if let issuer = deployment.spec.tls.issuer, !available.contains(certificates) {
            // Without cert-manager no one would make the TLS Secret, and the pods would wait for it.
            throw GeneralFailure(.cannotRun, "spec.tls.issuer names \(issuer.kind) \(issuer.name), but the cluster does not serve "
                                 + "\(certificates): install cert-manager, or drop the issuer for deploy to make the certificate "
                                 + "(nothing was changed)")
        }
        var skippedGroups = Set<String>()
        return objects.filter { object in
            let apiVersion = type(of: object).resource.apiVersion
            if available.contains(apiVersion) { return true }
            if skippedGroups.insert(apiVersion).inserted {
                progress.warning("the cluster does not serve \(apiVersion) (is the Prometheus Operator installed?); "
                                 + "skipping its objects, the rest is applied")
            }
            return false
        }
    }

    /// The manifests of `deployment`, its Redis StatefulSet carrying the deployment itself as the
    /// record later commands read (`deployedSpec`). Every apply of the StatefulSet sends it: a
    /// server-side apply that left it out would remove it.
    func deployedObjects(of deployment: RedisDeployment) throws -> [any KubernetesObject] {
        let record = try DeployedSpecRecord.encode(deployment)
        // Shards' budgets follow the formed cluster (`keepDisruptionBudgets`), not the rendered plan.
        return try ManifestSet.build(from: deployment, options: RenderOptions()).allObjects
            .filter { !ManifestSet.isShardDisruptionBudget($0) }
            .map { object in
            guard var statefulSet = object as? AppsV1.StatefulSet, statefulSet.metadata.name == names.statefulSet else {
                return object
            }
            var annotations = statefulSet.metadata.annotations ?? SortedMap()
            annotations[Self.deployedSpecAnnotation] = record
            statefulSet.metadata.annotations = annotations
            return statefulSet
        }
    }

    public func deployedSpec() async throws -> RedisDeployment? {
        guard let text = try await statefulSetView()?.metadata.annotations?[Self.deployedSpecAnnotation] else { return nil }
        return try DeployedSpecRecord.decode(
            text, place: "annotation \(Self.deployedSpecAnnotation) of StatefulSet \(namespace)/\(names.statefulSet)",
            removal: "remove the annotation (kubectl annotate statefulset -n \(namespace) \(names.statefulSet) "
                + "\(Self.deployedSpecAnnotation)-)")
    }

    /// Pods at ordinal `count` and above (what a StatefulSet of `count` replicas removes) must satisfy
    /// `removalGuard`; one without an address cannot be checked, so it is not removed either.
    func ensureRemovable(podsAbove count: Int, removalGuard: any PodRemovalGuard, deadline: Deadline) async throws {
        let removed = try await podViews().filter { $0.ordinal >= count && $0.ordinal != Int.max }
        guard !removed.isEmpty else { return }
        let unaddressed = removed.filter { $0.podIP == nil }.map(\.name)
        if !unaddressed.isEmpty {
            throw GeneralFailure(.operationFailed,
                "refusing to remove \(unaddressed.joined(separator: ", ")): no address yet, so nothing shows they hold "
                + "no slots or keys; nothing was changed. Wait for the pods to run, then try again")
        }
        try await removalGuard.ensureRemovable(try await endpoints(of: removed), deadline: deadline)
    }

    /// Applies one object with server-side apply (`dryRun=All`: the server checks it and stores nothing).
    func apply(_ object: any KubernetesObject, dryRun: Bool,
               progress: any ProgressReporter) async throws -> DryRunObject.Outcome {
        let object = ManifestSet.isAuthConfigSecret(object, of: deployment) ? try await authConfigSecret(dryRun: dryRun) : object
        let path = object.objectPath
        if object.metadata.annotations?["redisctl.io/create-only"] == "true" {
            return try await createIfAbsent(object, path: path, dryRun: dryRun, progress: progress)
        }
        let before = try await client.get(path)
        let body = try YAMLRenderer.render(object)
        let after = try await client.apply(path, body: body, fieldManager: Self.fieldManager, dryRun: dryRun)
        switch before {
        case nil:
            progress.detail("created \(object.displayName)")
            return .created
        case let previous? where previous["metadata"]["resourceVersion"] != after["metadata"]["resourceVersion"]:
            progress.step("updated \(object.displayName)")
            return .updated
        default:
            return .unchanged
        }
    }

    /// The derived auth Secret, filled from the auth and user Secrets' passwords and rewritten by
    /// every deploy, so it follows a changed password. A dry run before those Secrets exist checks it
    /// with stand-in passwords.
    func authConfigSecret(dryRun: Bool) async throws -> CoreV1.Secret {
        let admin: UserPasswords
        var users: [String: UserPasswords] = [:]
        if dryRun, try await secretValues(named: deployment.spec.auth.secretName) == nil {
            admin = UserPasswords(current: PasswordGenerator.generate(length: 32))
        } else {
            admin = try await userPasswords(ACLUsers.admin.name)
        }
        for user in deployment.spec.auth.effectiveUsers {
            if dryRun, try await secretValues(named: names.userSecret(user.name)) == nil {
                users[user.name] = UserPasswords(current: PasswordGenerator.generate(length: 32))
            } else {
                users[user.name] = try await userPasswords(user.name)
            }
        }
        return ManifestSet.authConfigSecret(for: deployment, admin: admin, users: users)
    }

    /// Where a user's password is kept: the auth Secret for the admin, `<auth>-<user>` for the others.
    func passwordSecretName(_ user: String, names: ManifestNames) -> String {
        user == ACLUsers.admin.name ? names.authSecret : names.userSecret(user)
    }

    public func userPasswords(for deployment: RedisDeployment) async throws -> [String: UserPasswords] {
        var passwords: [String: UserPasswords] = [:]
        for user in deployment.spec.auth.effectiveUsers {
            passwords[user.name] = try await userPasswords(user.name, names: ManifestNames(deployment))
        }
        return passwords
    }

    /// A user's Secret (the admin's: the auth Secret): `password`, and during a rotation `previous-password`.
    func userPasswords(_ user: String, names: ManifestNames? = nil) async throws -> UserPasswords {
        let name = passwordSecretName(user, names: names ?? self.names)
        guard let values = try await secretValues(named: name) else {
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name) (user \(user)'s password) is not there; deploy creates it")
        }
        guard let current = values["password"]?.trimmingCharacters(in: .whitespacesAndNewlines), !current.isEmpty else {
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name) has no key 'password'; put it back or delete the Secret "
                                 + "for deploy to make a new one")
        }
        let previous = values["previous-password"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        let until = try UserPasswords.graceEnd(values["previous-until"]?.trimmingCharacters(in: .whitespacesAndNewlines),
                                               in: "Secret \(namespace)/\(name) key previous-until")
        return UserPasswords(current: current, previous: previous.flatMap { $0.isEmpty ? nil : $0 }, previousUntil: until)
    }

    /// Secrets are created once and never overwritten: the auth Secret gets a generated password,
    /// the others are left for the operator (or their controller) to fill.
    private func createIfAbsent(_ object: any KubernetesObject, path: String, dryRun: Bool,
                                progress: any ProgressReporter) async throws -> DryRunObject.Outcome {
        if try await client.get(path) != nil { return .unchanged }
        var toCreate = object
        if var secret = object as? CoreV1.Secret, ManifestSet.generatesPassword(secret) {
            let password = PasswordGenerator.generate(length: 32)
            secret.data = ["password": Data(password.utf8).base64EncodedString()]
            secret.stringData = nil
            toCreate = secret
        } else if let secret = object as? CoreV1.Secret, secret.data == nil, secret.stringData == nil {
            progress.warning("\(object.displayName) was created empty: fill in \(object.metadata.annotations?["redisctl.io/keys"] ?? "its keys")")
        }
        let body = try YAMLRenderer.render(toCreate)
        do {
            try await client.create(type(of: object).resource.collectionPath(namespace: object.metadata.namespace),
                                    body: body, dryRun: dryRun)
            return .created
        } catch let error as KubernetesAPIError where error.isAlreadyExists {
            // Created by someone else between our read and our create: theirs stays.
            return .unchanged
        }
    }

    // MARK: Pods

    public func waitForPods(count: Int, deadline: Deadline, progress: any ProgressReporter) async throws -> [PodEndpoint] {
        let reporter = ReadyCountReporter(progress: progress, total: count)
        do {
            return try await pollPods(count: count, deadline: deadline, reporter: reporter)
        } catch let timeout as WaitTimedOut {
            // The pods' own conditions rarely say why; their latest events usually do.
            // Best effort: the timeout is the error; the events only add why, when they can be read.
            let events = (try? await latestEvents(forPodsNotReady: try await podViews(), expected: count)) ?? []
            guard !events.isEmpty else { throw timeout }
            throw WaitTimedOut(what: timeout.what, lastObservation: [timeout.lastObservation ?? "", "last events: "
                + events.joined(separator: "; ")].filter { !$0.isEmpty }.joined(separator: "; "))
        }
    }

    /// "redis-cluster-3: BackOff: Back-off restarting failed container", one per pod not ready or
    /// not there (a pod in back-off may have no object between its attempts).
    private func latestEvents(forPodsNotReady pods: [PodView], expected: Int) async throws -> [String] {
        let ready = Set(pods.filter(\.isReady).map(\.name))
        let waiting = Set((0..<expected).map { "\(names.statefulSet)-\($0)" }).subtracting(ready)
        guard !waiting.isEmpty else { return [] }
        let events = try await client.list("/api/v1/namespaces/\(namespace)/events", labelSelector: nil).items
        var latest: [String: (time: String, text: String)] = [:]
        for item in events {
            let event = try item.decode(EventView.self, what: "an Event")
            guard event.involvedObject?.kind == "Pod", let pod = event.involvedObject?.name, waiting.contains(pod) else { continue }
            // One line per pod, however chatty the message: whitespace runs collapse, long text is cut.
            let message = (event.message ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let text = [event.reason, message.count > 240 ? message.prefix(240) + "…" : message]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            if latest[pod].map({ $0.time <= event.time }) ?? true { latest[pod] = (event.time, text) }
        }
        return latest.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }
    }

    private func pollPods(count: Int, deadline: Deadline, reporter: ReadyCountReporter) async throws -> [PodEndpoint] {
        try await poll("\(count) pods of \(names.statefulSet) to be ready", until: deadline,
                       initialInterval: .milliseconds(100), maxInterval: .seconds(1)) {
            let statefulSet = try await statefulSetView()
            let pods = try await podViews()
            reporter.report(pods.filter(\.isReady).count)
            switch RolloutState.of(statefulSet, pods: pods, wanted: count, statefulSetName: "\(namespace)/\(names.statefulSet)") {
            case .complete: return .done(try await endpoints(of: pods))
            case .waiting(let what): return .notYet(what)
            }
        }
    }

    public func pods() async throws -> [PodEndpoint] {
        try await endpoints(of: try await podViews())
    }

    // MARK: Rolling restarts

    public func podsAwaitingRestart() async throws -> [PodEndpoint] {
        guard let updateRevision = try await statefulSetView()?.updateRevision else { return [] }
        let stale = try await podViews().filter { $0.revision != updateRevision }
        return try await endpoints(of: stale).sorted { $0.ordinal > $1.ordinal }
    }

    /// Lowers the partition to the pod's ordinal, so the StatefulSet controller recreates exactly
    /// that pod from the new template, waits for it, and raises the partition again.
    public func restart(_ pod: PodEndpoint, of deployment: RedisDeployment, deadline: Deadline) async throws -> PodEndpoint {
        let statefulSet = try redisStatefulSet(of: deployment)
        try await apply(statefulSet, partition: pod.ordinal)
        do {
            let restarted = try await poll("\(pod.name) to come back on the new revision", until: deadline,
                                           initialInterval: .milliseconds(100), maxInterval: .seconds(1)) {
                () async throws -> PollOutcome<PodEndpoint> in
                let updateRevision = try await statefulSetView()?.updateRevision
                let view = try await client.get(podPath(pod.name))?.decode(PodView.self, what: "Pod \(pod.name)")
                switch RolloutState.ofRestarted(view, name: pod.name, updateRevision: updateRevision) {
                case .waiting(let what): return .notYet(what)
                case .complete:
                    guard let view, let endpoint = try await endpoints(of: [view]).first else {
                        return .notYet("\(pod.name) has no address yet")
                    }
                    return .done(endpoint)
                }
            }
            try await apply(statefulSet, partition: nil)
            return restarted
        } catch {
            // Never leave the partition low: the controller would go on replacing pods unguarded.
            try? await apply(statefulSet, partition: nil)
            throw error
        }
    }

    private var statefulSetPath: String {
        AppsV1.StatefulSet.resource.objectPath(name: names.statefulSet, namespace: namespace)
    }

    private func podPath(_ name: String) -> String {
        "/api/v1/namespaces/\(namespace)/pods/\(name)"
    }

    /// The Redis StatefulSet of `deployment`, as `apply` applies it.
    private func redisStatefulSet(of deployment: RedisDeployment) throws -> AppsV1.StatefulSet {
        guard let statefulSet = try deployedObjects(of: deployment).lazy.compactMap({ $0 as? AppsV1.StatefulSet })
            .first(where: { $0.metadata.name == names.statefulSet })
        else { throw GeneralFailure(.operationFailed, "the manifests have no StatefulSet \(names.statefulSet)") }
        return statefulSet
    }

    /// Applies the StatefulSet, with its partition lowered to `partition` when given.
    private func apply(_ statefulSet: AppsV1.StatefulSet, partition: Int?) async throws {
        var statefulSet = statefulSet
        if let partition {
            statefulSet.spec.updateStrategy?.rollingUpdate = .init(partition: partition)
        }
        _ = try await client.apply(statefulSetPath, body: try YAMLRenderer.render(statefulSet),
                                   fieldManager: Self.fieldManager, dryRun: false)
    }

    private func statefulSetView() async throws -> StatefulSetView? {
        try await client.get(statefulSetPath)?.decode(StatefulSetView.self, what: "StatefulSet \(names.statefulSet)")
    }

    /// The Redis pods, by ordinal.
    private func podViews() async throws -> [PodView] {
        let list = try await client.list("/api/v1/namespaces/\(namespace)/pods", labelSelector: podSelector)
        return try list.items.map { try $0.decode(PodView.self, what: "a Pod") }.sorted { $0.ordinal < $1.ordinal }
    }

    /// Pods with an address, as endpoints with their machine and zone.
    private func endpoints(of pods: [PodView]) async throws -> [PodEndpoint] {
        var zones: [String: String?] = [:]
        var endpoints: [PodEndpoint] = []
        for pod in pods {
            guard let ip = pod.podIP else { continue }
            let nodeName = pod.spec?.nodeName
            if let nodeName, zones[nodeName] == nil {
                let node = try await client.get("/api/v1/nodes/\(nodeName)")
                zones[nodeName] = node?["metadata"]["labels"]["topology.kubernetes.io/zone"].string
            }
            endpoints.append(PodEndpoint(
                name: pod.name, ordinal: pod.ordinal, endpoint: RedisEndpoint(host: ip, port: Self.redisPort),
                nodeName: nodeName, zone: nodeName.flatMap { zones[$0] ?? nil }, ready: pod.isReady))
        }
        return endpoints
    }

    // MARK: Credentials and endpoints

    public func password() async throws -> String {
        let name = deployment.spec.auth.secretName
        guard let values = try await secretValues(named: name) else {
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name) not found; deploy first or set REDISCTL_PASSWORD")
        }
        let password = (values["password"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !password.isEmpty else {
            throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name) has no usable 'password' key")
        }
        return password
    }

    /// The CA in the TLS Secret (`ca.crt`, as cert-manager and `deploy` write it). Pods are dialled
    /// by IP and checked against the client Service's name, which every node's certificate carries.
    public func nodeTrust(for spec: DeploymentSpec) async throws -> NodeTrust? {
        guard spec.tls.enabled else { return nil }
        let name = spec.tls.secretName
        let location = "Secret \(namespace)/\(name) key ca.crt"
        guard let values = try await secretValues(named: name) else {
            throw GeneralFailure(.cannotRun, "TLS is on, but Secret \(namespace)/\(name) is not there; deploy creates it, "
                                 + "or give its CA with --tls --cacert")
        }
        guard let ca = values["ca.crt"], !ca.isEmpty else {
            throw GeneralFailure(.cannotRun, "\(location) is missing; the nodes' CA must be there (or give it with --tls --cacert)")
        }
        return NodeTrust(caCertificatesPEM: ca, location: location, serverName: names.tlsServerName)
    }

    public func connectionEndpoints() async throws -> ConnectionEndpoints {
        let service = RedisEndpoint(host: "\(names.clientService).\(namespace).svc.cluster.local", port: Self.redisPort)
        let metrics = RedisEndpoint(host: "\(names.metricsService).\(namespace).svc.cluster.local", port: 9121)
        return ConnectionEndpoints(primary: service, nodes: try await pods().map(\.endpoint), metrics: metrics)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    // MARK: Destroy

    /// Deletes every object deploy applies, in reverse order; PersistentVolumeClaims (and the
    /// namespace, which would take them along) only with `deleteData`.
    public func destroy(deleteData: Bool, deadline: Deadline, progress: any ProgressReporter) async throws -> ApplyResult {
        let groups = try ManifestSet.build(from: deployment, options: RenderOptions())
        let available = try await client.discoverGroupVersions()
        var result = ApplyResult()
        for object in groups.allObjects.reversed() {
            let resource = type(of: object).resource
            guard available.contains(resource.apiVersion) else { continue }
            if object is CoreV1.Namespace && !deleteData { continue }
            if try await client.delete(object.objectPath, propagationPolicy: "Foreground") {
                result.deleted.append(object.displayName)
                progress.detail("deleted \(object.displayName)")
            }
        }
        // The shards' budgets, whichever shards the cluster had.
        for name in try await redisDisruptionBudgets() {
            let path = PolicyV1.PodDisruptionBudget.resource.objectPath(name: name, namespace: namespace)
            if try await client.delete(path) { result.deleted.append("PodDisruptionBudget \(namespace)/\(name)") }
        }
        if deleteData {
            let claims = try await client.list(CoreV1.PersistentVolumeClaim.resource.collectionPath(namespace: namespace),
                                               labelSelector: podSelector)
            for claim in claims.items {
                guard let name = claim["metadata"]["name"].string else { continue }
                let path = CoreV1.PersistentVolumeClaim.resource.objectPath(name: name, namespace: namespace)
                if try await client.delete(path) { result.deleted.append("PersistentVolumeClaim \(namespace)/\(name)") }
            }
        }
        return result
    }
}

/// Pod IP -> pod name for the port-forward dialer, listed once and again on an unknown address.
actor PodAddressResolver {
    private let client: KubernetesClient
    private let namespace: String
    private let selector: String
    private var names: [String: String] = [:]

    init(client: KubernetesClient, namespace: String, selector: String) {
        self.client = client
        self.namespace = namespace
        self.selector = selector
    }

    func podName(for endpoint: RedisEndpoint) async throws -> String {
        if let name = names[endpoint.host] { return name }
        let pods = try await client.list("/api/v1/namespaces/\(namespace)/pods", labelSelector: selector)
        names = [:]
        for pod in pods.items {
            if let ip = pod["status"]["podIP"].string, let name = pod["metadata"]["name"].string { names[ip] = name }
        }
        guard let name = names[endpoint.host] else {
            throw GeneralFailure(.operationFailed,
                "no pod of this deployment has address \(endpoint.host) in namespace \(namespace); it may have been replaced")
        }
        return name
    }
}

/// Prints "4/6 pods ready" when the count changes, not on every poll.
private final class ReadyCountReporter: @unchecked Sendable {
    private let progress: any ProgressReporter
    private let total: Int
    private var last = -1
    private let lock = NSLock()

    init(progress: any ProgressReporter, total: Int) {
        self.progress = progress
        self.total = total
    }

    func report(_ ready: Int) {
        let changed = lock.withLock { () -> Bool in
            defer { last = ready }
            return ready != last
        }
        if changed { progress.step("\(ready)/\(total) pods ready") }
    }
}
