import Foundation
import RESP
import RedisCtlCore

/// The kinds the kubelet stand-in reads and writes.
enum FakeKubeletKinds {
    static let nodes = FakeResourceType(group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false, hasStatusSubresource: true)
    static let configMaps = FakeResourceType(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true)
    static let secrets = FakeResourceType(group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true)
    static let pods = FakeResourceType(group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true, hasStatusSubresource: true)
    static let claims = FakeResourceType(
        group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true, hasStatusSubresource: true
    )
    static let events = FakeResourceType(group: "", version: "v1", plural: "events", kind: "Event", namespaced: true)
    static let statefulSets = FakeResourceType(
        group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true, hasStatusSubresource: true
    )
}

/// The StatefulSet controller and kubelet in one level-triggered loop: each pass compares every
/// StatefulSet with the pods it has and takes the next steps (create, stop, probe, roll, report).
/// Only the kubelet's loop task calls `reconcile()`, so passes never interleave.
actor FakeKubeletController {
    private struct PodRecord {
        var uid: String
        var statefulSetUID: String
        var ordinal: Int
        var revision: String
        var podIP: String
        var nodeName: String
        var containerNames: [String]
        var redisContainer: String
        var process: FakeKubeletProcess
        var password: String?
        /// The pod serves TLS: probed over it, trusting this CA file.
        var tlsCACertificate: String?
        var ready: Bool
        var startTime: String
        var restartCount: Int
        /// What the pod was launched from, to bring its mounted Secret and ConfigMap files up to date.
        var launchInputs: FakeKubeletLaunch.Pod
        var lastVolumeRefresh: ContinuousClock.Instant
    }

    private let store: FakeObjectStore
    private let options: FakeKubeletOptions
    private let table: FakeKubeletProcessTable
    private let directory: URL
    private var pods: [FakeKubeletPodKey: PodRecord] = [:]
    /// The address each pod last had, reused when pods keep their address across recreation.
    private var addresses: [FakeKubeletPodKey: String] = [:]
    private var backoff: [FakeKubeletPodKey: (failures: Int, notBefore: ContinuousClock.Instant, message: String)] = [:]
    /// Cluster DNS: each pod's stable names, resolved by the `getent` start scripts run.
    private var dnsRecords: [FakeKubeletPodKey: (address: String, names: [String])] = [:]
    private var imageToolsDirectory: URL?

    init(store: FakeObjectStore, options: FakeKubeletOptions, table: FakeKubeletProcessTable, directory: URL) {
        self.store = store
        self.options = options
        self.table = table
        self.directory = directory
    }

    func claimDirectory(namespace: String, claim: String) -> URL {
        Self.claimDirectory(root: directory, namespace: namespace, claim: claim)
    }

    static func claimDirectory(root: URL, namespace: String, claim: String) -> URL {
        root.appendingPathComponent("volumes/\(namespace)/\(claim)")
    }

    // MARK: The loop

    func reconcile() async {
        guard !table.isStopped else { return }
        var wanted: Set<FakeKubeletPodKey> = []
        for statefulSet in store.list(FakeKubeletKinds.statefulSets, namespace: nil, selector: nil).items {
            guard !table.isStopped else { return }
            wanted.formUnion(await reconcile(statefulSet))
        }
        // Pods of deleted StatefulSets and of scaled-away ordinals, highest ordinal first.
        let unwanted = pods.filter { !wanted.contains($0.key) }.sorted { $0.value.ordinal > $1.value.ordinal }
        for (key, _) in unwanted {
            await remove(key, deletingObject: true)
            addresses[key] = nil
            backoff[key] = nil
        }
    }

    /// One StatefulSet's pass; returns the pods it should have.
    private func reconcile(_ statefulSet: JSONValue) async -> Set<FakeKubeletPodKey> {
        let metadata = statefulSet["metadata"]
        guard let name = metadata["name"].string, let namespace = metadata["namespace"].string,
              let uid = metadata["uid"].string
        else { return [] }
        let spec = statefulSet["spec"]
        let replicas = max(spec["replicas"].int ?? 1, 0)
        let template = spec["template"]
        let updateRevision = "\(name)-\(Self.revisionHash(template))"
        let ordered = spec["podManagementPolicy"].string != "Parallel"
        let podName = { (ordinal: Int) in "\(name)-\(ordinal)" }
        let keys = (0..<replicas).map { FakeKubeletPodKey(namespace: namespace, name: podName($0)) }

        for ordinal in 0..<replicas { ensureClaims(statefulSet, pod: podName(ordinal)) }

        // Pods deleted through the API stop together, as each node's kubelet stops its own at
        // once (`kubectl delete pod --all`): none is recreated while another deleted one still runs.
        let deleted = keys.filter { key in
            guard let record = pods[key], record.statefulSetUID == uid else { return false }
            return store.get(FakeKubeletKinds.pods, namespace: namespace, name: key.name)?["metadata"]["uid"].string != record.uid
        }
        if !deleted.isEmpty { await stopTogether(deleted) }

        var predecessorsReady = true
        for (ordinal, key) in keys.enumerated() {
            guard !table.isStopped else { break }
            if let record = pods[key] {
                let object = store.get(FakeKubeletKinds.pods, namespace: namespace, name: key.name)
                if record.statefulSetUID != uid {
                    await remove(key, deletingObject: true)
                } else if object == nil || object?["metadata"]["uid"].string != record.uid {
                    // Deleted through the API: stop the container, then recreate the pod below.
                    await remove(key, deletingObject: false)
                } else if !record.process.isRunning {
                    let log = record.process.logTail(lines: 5)
                    let failures = (backoff[key]?.failures ?? 0) + 1
                    let delay = Duration.milliseconds(min(100 * (1 << min(failures, 6)), 5000))
                    backoff[key] = (failures, ContinuousClock.now.advanced(by: delay), "redis-server exited: \(log)")
                    recordEvent(key, reason: "BackOff", message: "Back-off restarting failed container: \(log)")
                    if log.contains("Address already in use") || log.contains("Could not create server TCP listening socket") {
                        addresses[key] = nil
                    }
                    await remove(key, deletingObject: true)
                } else if record.ready {
                    refreshMountedFiles(key, record)
                } else if !record.ready {
                    if await probe(record) {
                        pods[key]?.ready = true
                        backoff[key] = nil
                        if let updated = pods[key] { writePodStatus(key, updated) }
                    }
                }
            }
            if pods[key] == nil, predecessorsReady || !ordered {
                if let entry = backoff[key], ContinuousClock.now < entry.notBefore {
                    predecessorsReady = false
                    continue
                }
                await create(key, ordinal: ordinal, statefulSet: statefulSet, revision: updateRevision)
            }
            if pods[key]?.ready != true { predecessorsReady = false }
        }

        // Ordinals at or past `replicas` that still have Pod objects (e.g. written by someone else).
        for pod in store.list(FakeKubeletKinds.pods, namespace: namespace, selector: nil).items {
            guard let podName = pod["metadata"]["name"].string, podName.hasPrefix("\(name)-"),
                  let ordinal = Int(podName.dropFirst(name.count + 1)), ordinal >= replicas,
                  pods[FakeKubeletPodKey(namespace: namespace, name: podName)] == nil,
                  (pod["metadata"]["ownerReferences"].array ?? []).contains(where: { $0["uid"].string == uid })
            else { continue }
            _ = try? store.delete(FakeKubeletKinds.pods, namespace: namespace, name: podName, propagationPolicy: "Background")
        }

        // RollingUpdate: once every pod is up and Ready, recreate the highest-ordinal pod that still
        // runs an old revision; the next passes start it from the new template and wait for Ready.
        let records = keys.compactMap { pods[$0] }
        let allReady = records.count == replicas && records.allSatisfy(\.ready)
        let strategy = spec["updateStrategy"]
        if allReady, strategy["type"].string != "OnDelete" {
            let partition = strategy["rollingUpdate"]["partition"].int ?? 0
            let stale = keys.enumerated().reversed().first { pair in
                pair.offset >= partition && pods[pair.element].map { $0.revision != updateRevision } == true
            }
            if let stale { await remove(stale.element, deletingObject: true) }
        }

        writeStatus(statefulSet, keys: keys, replicas: replicas, updateRevision: updateRevision)
        return Set(keys)
    }

    private func writeStatus(_ statefulSet: JSONValue, keys: [FakeKubeletPodKey], replicas: Int, updateRevision: String) {
        guard let name = statefulSet["metadata"]["name"].string, let namespace = statefulSet["metadata"]["namespace"].string else { return }
        let records = keys.compactMap { pods[$0] }
        let ready = records.filter(\.ready).count
        var currentRevision = statefulSet["status"]["currentRevision"].string ?? updateRevision
        if records.count == replicas, ready == replicas, records.allSatisfy({ $0.revision == updateRevision }) {
            currentRevision = updateRevision
        }
        let status: JSONValue = [
            "observedGeneration": .integer(statefulSet["metadata"]["generation"].int ?? 1),
            "replicas": .integer(records.count),
            "readyReplicas": .integer(ready),
            "availableReplicas": .integer(ready),
            "currentReplicas": .integer(records.filter { $0.revision == currentRevision }.count),
            "updatedReplicas": .integer(records.filter { $0.revision == updateRevision }.count),
            "currentRevision": .string(currentRevision),
            "updateRevision": .string(updateRevision),
            "collisionCount": 0,
        ]
        guard !table.isStopped else { return }
        store.updateStatus(FakeKubeletKinds.statefulSets, namespace: namespace, name: name, status: status)
    }

    // MARK: Pods

    private func create(_ key: FakeKubeletPodKey, ordinal: Int, statefulSet: JSONValue, revision: String) async {
        guard !table.isStopped else { return }
        let spec = statefulSet["spec"]
        let template = spec["template"]
        let name = statefulSet["metadata"]["name"].string ?? ""
        let nodes = options.nodes.isEmpty ? [FakeKubeletNode(name: "node-a", zone: "zone-a")] : options.nodes
        let nodeName = nodes[ordinal % nodes.count].name
        let podIP: String
        if options.recreatedPodAddress == .same, let address = addresses[key] {
            podIP = address
        } else {
            do {
                podIP = try pickAddress()
            } catch {
                backoff[key] = (1, ContinuousClock.now.advanced(by: .milliseconds(500)), "\(error)")
                return
            }
        }
        addresses[key] = podIP
        // As the headless Service with publishNotReadyAddresses: the name resolves once the pod has an IP.
        if let serviceName = spec["serviceName"].string {
            let name = "\(key.name).\(serviceName).\(key.namespace).svc"
            dnsRecords[key] = (podIP, [name, "\(name).cluster.local"])
            writeHostsFile()
        }

        var labels = template["metadata"]["labels"].object ?? [:]
        labels["controller-revision-hash"] = .string(revision)
        labels["statefulset.kubernetes.io/pod-name"] = .string(key.name)
        labels["apps.kubernetes.io/pod-index"] = .string(String(ordinal))
        var podSpec = template["spec"]
        podSpec["nodeName"] = .string(nodeName)
        podSpec["hostname"] = .string(key.name)
        if let serviceName = spec["serviceName"].string { podSpec["subdomain"] = .string(serviceName) }
        var podMetadata: JSONValue = [
            "name": .string(key.name), "namespace": .string(key.namespace), "labels": .object(labels),
            "ownerReferences": [[
                "apiVersion": "apps/v1", "kind": "StatefulSet", "name": .string(name),
                "uid": statefulSet["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
            ]],
        ]
        if let annotations = template["metadata"]["annotations"].object { podMetadata["annotations"] = .object(annotations) }
        let startTime = Self.timestamp()
        let containerNames = (template["spec"]["containers"].array ?? []).compactMap { $0["name"].string }
        let pendingStatus = Self.podStatus(
            phase: "Pending", podIP: podIP, ready: false, containerNames: containerNames, redisContainer: "",
            startTime: startTime, restartCount: 0, message: backoff[key]?.message
        )
        let stored = store.put(FakeKubeletKinds.pods, namespace: key.namespace, object: [
            "apiVersion": "v1", "kind": "Pod", "metadata": podMetadata, "spec": podSpec, "status": pendingStatus,
        ])
        let uid = stored["metadata"]["uid"].string ?? ""

        let podDirectory = directory.appendingPathComponent("pods/\(key.namespace)/\(key.name)-\(UUID().uuidString.prefix(8))")
        let claimTemplates = Set((spec["volumeClaimTemplates"].array ?? []).compactMap { $0["metadata"]["name"].string })
        let root = directory
        let launchInputs = FakeKubeletLaunch.Pod(
            namespace: key.namespace, name: key.name, uid: uid, podIP: podIP, nodeName: nodeName, template: template,
            claimTemplates: claimTemplates, podDirectory: podDirectory,
            claimDirectory: { Self.claimDirectory(root: root, namespace: key.namespace, claim: "\($0)-\(key.name)") })
        let launch: FakeKubeletLaunch
        do {
            launch = try FakeKubeletLaunch.make(
                launchInputs, lookup: { [store] kind, name in store.get(kind, namespace: key.namespace, name: name) })
            for directory in launch.directories {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            }
            for file in launch.files where !launch.refreshedFiles.contains(file.path) {
                try file.contents.write(to: file.path, atomically: true, encoding: .utf8)
                // Mounted Secrets hold keys and passwords: owner-only, as the pods' defaultMode keeps them.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path.path)
            }
            try Self.writeVolumes(launch.files.filter { launch.refreshedFiles.contains($0.path) })
        } catch {
            // Like a pod stuck in ContainerCreating: retried with backoff, the Pod object stays.
            try? FileManager.default.removeItem(at: podDirectory)
            if dnsRecords.removeValue(forKey: key) != nil { writeHostsFile() }
            let failures = (backoff[key]?.failures ?? 0) + 1
            backoff[key] = (failures, ContinuousClock.now.advanced(by: .milliseconds(min(100 * (1 << min(failures, 6)), 5000))), "\(error)")
            recordEvent(key, reason: "FailedMount", message: "\(error)")
            _ = try? store.delete(FakeKubeletKinds.pods, namespace: key.namespace, name: key.name, propagationPolicy: "Background")
            return
        }
        let pid: Int32
        do {
            let server = try options.redisServerPath ?? RedisServerProcess.serverExecutable().path
            let console = podDirectory.appendingPathComponent("console.log").path
            if launch.shell {
                // The image's tools as this machine has them, `redis-server` the one this kubelet
                // runs, and cluster DNS through `getent` (the script's only resolver).
                let tools = try imageTools(server: server)
                var environment = launch.environment
                environment["PATH"] = "\(tools.path):/usr/local/bin:/usr/bin:/bin"
                environment["HOME"] = podDirectory.path
                pid = try RedisServerProcess.spawn(
                    "/bin/sh", launch.arguments, output: console,
                    environment: environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            } else {
                pid = try RedisServerProcess.spawn(server, launch.arguments, output: console)
            }
        } catch {
            try? FileManager.default.removeItem(at: podDirectory)
            if dnsRecords.removeValue(forKey: key) != nil { writeHostsFile() }
            backoff[key] = (1, ContinuousClock.now.advanced(by: .seconds(1)), "\(error)")
            _ = try? store.delete(FakeKubeletKinds.pods, namespace: key.namespace, name: key.name, propagationPolicy: "Background")
            return
        }
        let process = FakeKubeletProcess(pid: pid, podKey: key, podDirectory: podDirectory)
        guard table.register(process) else { return }
        let password = launch.password.flatMap { $0.isEmpty ? nil : $0 }
        let record = PodRecord(
            uid: uid, statefulSetUID: statefulSet["metadata"]["uid"].string ?? "", ordinal: ordinal, revision: revision,
            podIP: podIP, nodeName: nodeName, containerNames: containerNames,
            redisContainer: FakeKubeletLaunch.redisContainer(in: template)?["name"].string ?? "", process: process, password: password, tlsCACertificate: launch.tlsCACertificate, ready: false, startTime: startTime, restartCount: backoff[key]?.failures ?? 0,
            launchInputs: launchInputs, lastVolumeRefresh: .now
        )
        pods[key] = record
        writePodStatus(key, record)
    }

    /// As the kubelet's periodic volume sync: files of whole-mounted Secrets and ConfigMaps whose
    /// object changed are replaced (each whole, by rename), `secretVolumeRefresh` after the last sync.
    /// An object that is gone or unreadable leaves the files as they are.
    private func refreshMountedFiles(_ key: FakeKubeletPodKey, _ record: PodRecord) {
        guard ContinuousClock.now - record.lastVolumeRefresh >= options.secretVolumeRefresh else { return }
        pods[key]?.lastVolumeRefresh = .now
        guard let launch = try? FakeKubeletLaunch.make(
            record.launchInputs, lookup: { [store] kind, name in store.get(kind, namespace: key.namespace, name: name) })
        else { return }
        let refreshed = launch.files.filter { launch.refreshedFiles.contains($0.path) }
        let changed = refreshed.contains { (try? String(contentsOf: $0.path, encoding: .utf8)) != $0.contents }
        if changed { try? Self.writeVolumes(refreshed) }
    }

    /// As the kubelet's atomic writer: a whole-mounted volume's files live in a versioned directory
    /// that `..data` points to, and each key is a link through `..data`. An update writes a new
    /// version and swaps `..data` with one rename, so a reader never sees one key new and another
    /// old (a certificate beside the previous key).
    static func writeVolumes(_ files: [(path: URL, contents: String)]) throws {
        let volumes = Dictionary(grouping: files) { $0.path.deletingLastPathComponent() }
        for (directory, volumeFiles) in volumes {
            let manager = FileManager.default
            let version = "..\(UUID().uuidString.prefix(8))"
            let versionDirectory = directory.appendingPathComponent(version, isDirectory: true)
            try manager.createDirectory(at: versionDirectory, withIntermediateDirectories: true)
            for file in volumeFiles {
                let target = versionDirectory.appendingPathComponent(file.path.lastPathComponent)
                guard manager.createFile(atPath: target.path, contents: Data(file.contents.utf8), attributes: [.posixPermissions: 0o600])
                else { throw GeneralFailure(.operationFailed, "cannot write \(target.path)") }
            }
            let data = directory.appendingPathComponent("..data")
            let previous = try? manager.destinationOfSymbolicLink(atPath: data.path)
            let swap = directory.appendingPathComponent("..data_tmp")
            try? manager.removeItem(at: swap)
            try manager.createSymbolicLink(atPath: swap.path, withDestinationPath: version)
            guard rename(swap.path, data.path) == 0 else {
                throw GeneralFailure(.operationFailed, "cannot switch \(data.path): \(String(cString: strerror(errno)))")
            }
            for file in volumeFiles where (try? manager.destinationOfSymbolicLink(atPath: file.path.path)) == nil {
                try? manager.removeItem(at: file.path)
                try manager.createSymbolicLink(atPath: file.path.path, withDestinationPath: "..data/\(file.path.lastPathComponent)")
            }
            if let previous, previous != version { try? manager.removeItem(at: directory.appendingPathComponent(previous)) }
        }
    }

    /// Stops the processes of pods whose objects are gone, all at once, and forgets them.
    private func stopTogether(_ keys: [FakeKubeletPodKey]) async {
        let records = keys.compactMap { key in pods.removeValue(forKey: key).map { (key, $0) } }
        let grace = options.terminationGracePeriod
        let processes = records.map(\.1.process)
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.terminate(grace: grace) } }
        }
        for (key, record) in records {
            table.remove(record.process)
            try? FileManager.default.removeItem(at: record.process.podDirectory)
            dnsRecords[key] = nil
        }
        writeHostsFile()
    }

    /// Stops the pod's process and forgets it, then deletes the Pod object when asked (and still ours).
    private func remove(_ key: FakeKubeletPodKey, deletingObject: Bool) async {
        guard let record = pods.removeValue(forKey: key) else { return }
        if dnsRecords.removeValue(forKey: key) != nil { writeHostsFile() }
        // Like graceful deletion: the Pod object goes once its container has stopped.
        await record.process.terminate(grace: options.terminationGracePeriod)
        table.remove(record.process)
        try? FileManager.default.removeItem(at: record.process.podDirectory)
        if deletingObject, store.get(FakeKubeletKinds.pods, namespace: key.namespace, name: key.name)?["metadata"]["uid"].string == record.uid {
            _ = try? store.delete(FakeKubeletKinds.pods, namespace: key.namespace, name: key.name, propagationPolicy: "Background")
        }
    }

    private func writePodStatus(_ key: FakeKubeletPodKey, _ record: PodRecord) {
        guard !table.isStopped else { return }
        let status = Self.podStatus(
            phase: "Running", podIP: record.podIP, ready: record.ready, containerNames: record.containerNames,
            redisContainer: record.redisContainer, startTime: record.startTime, restartCount: record.restartCount, message: nil
        )
        store.updateStatus(FakeKubeletKinds.pods, namespace: key.namespace, name: key.name, status: status)
    }

    /// Ready when redis answers PING (with the password); LOADING and errors are not ready.
    private func probe(_ record: PodRecord) async -> Bool {
        do {
            var dialer: any RedisDialer = TCPDialer()
            if let caFile = record.tlsCACertificate {
                // The probe dials 127.0.0.1 in the pod; here the pod's own address, checked as `localhost`.
                guard let ca = try? String(contentsOfFile: caFile, encoding: .utf8),
                      let tls = RedisTLS(trustingPEM: ca, serverName: "localhost") else { return false }
                dialer = TLSDialer(wrapping: TCPDialer(), tls: tls)
            }
            let connection = try await RedisConnection.connect(
                to: RedisEndpoint(host: record.podIP, port: 6379),
                options: RedisConnectionOptions(password: record.password, connectTimeout: .milliseconds(500), commandTimeout: .seconds(1)),
                dialer: dialer
            )
            let reply = try? await connection.send("PING")
            await connection.close()
            return reply?.string == "PONG"
        } catch {
            return false
        }
    }

    // MARK: What a start script finds in the image

    private var hostsFile: URL { directory.appendingPathComponent("hosts") }

    /// A directory holding `redis-server` (the one this kubelet runs) and `getent`, which answers
    /// `getent hosts NAME` from the pods' DNS records as cluster DNS would.
    private func imageTools(server: String) throws -> URL {
        if let imageToolsDirectory { return imageToolsDirectory }
        let tools = directory.appendingPathComponent("image-bin")
        let manager = FileManager.default
        try manager.createDirectory(at: tools, withIntermediateDirectories: true)
        let link = tools.appendingPathComponent("redis-server")
        if (try? manager.destinationOfSymbolicLink(atPath: link.path)) == nil {
            try manager.createSymbolicLink(atPath: link.path, withDestinationPath: server)
        }
        let getent = tools.appendingPathComponent("getent")
        try """
            #!/bin/sh
            # getent hosts NAME, from the fake cluster's DNS records
            [ "$1" = hosts ] && [ $# -eq 2 ] || exit 1
            [ -e \(RedisServerProcess.quoted(directory.appendingPathComponent(FakeKubelet.dnsOutageMarker).path)) ] && exit 2
            while read -r address names; do
              for name in $names; do
                if [ "$name" = "$2" ]; then echo "$address       $2"; exit 0; fi
              done
            done < \(RedisServerProcess.quoted(hostsFile.path))
            exit 2

            """.write(to: getent, atomically: true, encoding: .utf8)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: getent.path)
        if !manager.fileExists(atPath: hostsFile.path) { writeHostsFile() }
        imageToolsDirectory = tools
        return tools
    }

    /// Replaced whole (written beside, renamed over), so a lookup never reads half a file.
    private func writeHostsFile() {
        let lines = dnsRecords.values.sorted { $0.address < $1.address }.map { "\($0.address) \($0.names.joined(separator: " "))" }
        try? (lines.joined(separator: "\n") + "\n").write(to: hostsFile, atomically: true, encoding: .utf8)
    }

    private func pickAddress() throws -> String {
        let taken = Set(pods.values.map(\.podIP)).union(addresses.values)
        for _ in 0..<20 {
            let host = try RedisServerProcess.freeLoopbackHost(ports: [6379, 16379])
            if !taken.contains(host) { return host }
        }
        throw GeneralFailure(.cannotRun, "no free loopback address for a pod")
    }

    // MARK: Claims

    /// A PVC per volumeClaimTemplate, `<claim>-<pod>`, created once and never deleted here.
    private func ensureClaims(_ statefulSet: JSONValue, pod: String) {
        guard let namespace = statefulSet["metadata"]["namespace"].string else { return }
        let selector = statefulSet["spec"]["selector"]["matchLabels"].object ?? [:]
        for claimTemplate in statefulSet["spec"]["volumeClaimTemplates"].array ?? [] {
            guard let claim = claimTemplate["metadata"]["name"].string else { continue }
            let name = "\(claim)-\(pod)"
            guard store.get(FakeKubeletKinds.claims, namespace: namespace, name: name) == nil else { continue }
            var labels = claimTemplate["metadata"]["labels"].object ?? [:]
            labels.merge(selector) { own, _ in own }
            let spec = claimTemplate["spec"]
            store.put(FakeKubeletKinds.claims, namespace: namespace, object: [
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(labels)],
                "spec": spec,
                "status": ["phase": "Bound", "accessModes": spec["accessModes"], "capacity": spec["resources"]["requests"]],
            ])
        }
    }

    // MARK: Helpers

    /// A hash of the pod template (FNV-1a over its canonical JSON): a changed template gets a new revision.
    static func revisionHash(_ template: JSONValue) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in template.encodedData {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(String(hash, radix: 16).suffix(10))
    }

    static func podStatus(
        phase: String, podIP: String, ready: Bool, containerNames: [String], redisContainer: String, startTime: String,
        restartCount: Int, message: String?
    ) -> JSONValue {
        let readyText: JSONValue = ready ? "True" : "False"
        let now = JSONValue.string(timestamp())
        let running = phase == "Running"
        var status: JSONValue = [
            "phase": .string(phase),
            "podIP": .string(podIP),
            "podIPs": [["ip": .string(podIP)]],
            "hostIP": "127.0.0.1",
            "startTime": .string(startTime),
            "conditions": [
                ["type": "PodScheduled", "status": "True", "lastTransitionTime": now],
                ["type": "Initialized", "status": "True", "lastTransitionTime": now],
                ["type": "ContainersReady", "status": readyText, "lastTransitionTime": now],
                ["type": "Ready", "status": readyText, "lastTransitionTime": now],
            ],
            "containerStatuses": .array(containerNames.map { container in
                let isRedis = container == redisContainer
                return [
                    "name": .string(container),
                    "ready": .bool(running && (isRedis ? ready : true)),
                    "started": .bool(running),
                    "restartCount": .integer(isRedis ? restartCount : 0),
                    "state": running ? ["running": ["startedAt": .string(startTime)]] : ["waiting": ["reason": "ContainerCreating"]],
                ]
            }),
        ]
        if let message { status["message"] = .string(message) }
        return status
    }

    /// A Warning event on the pod, as the kubelet posts them (one object per reason, counted).
    private func recordEvent(_ key: FakeKubeletPodKey, reason: String, message: String) {
        let name = "\(key.name).\(reason.lowercased())"
        let count = (store.get(FakeKubeletKinds.events, namespace: key.namespace, name: name)?["count"].int ?? 0) + 1
        store.put(FakeKubeletKinds.events, namespace: key.namespace, object: [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(key.namespace)],
            "involvedObject": ["kind": "Pod", "name": .string(key.name), "namespace": .string(key.namespace)],
            "reason": .string(reason), "message": .string(message), "type": "Warning", "count": .integer(count),
            "lastTimestamp": .string(Self.timestamp()), "source": ["component": "kubelet"],
        ])
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
