import Foundation

/// One change to the store, as a watch delivers it.
public struct FakeStoreEvent: Sendable {
    public var type: String
    public var resource: FakeResourceType
    public var namespace: String
    public var object: JSONValue
    public var revision: Int
}

/// The fake API server's objects, in memory, with one global resourceVersion counter and a short
/// history of changes for watches. Every mutation and every delivery to a watcher happens under one
/// lock, so watchers see changes in resourceVersion order. A "kubelet" loop can `subscribe` to
/// StatefulSets and write Pods and status back through the same methods the REST layer uses.
public final class FakeObjectStore: @unchecked Sendable {
    struct Key: Hashable {
        var resource: FakeResourceType
        var namespace: String
        var name: String
    }

    struct Watcher {
        var resource: FakeResourceType
        var namespace: String?
        var selector: LabelSelector?
        var deliver: @Sendable (FakeStoreEvent) -> Void

        func wants(_ event: FakeStoreEvent) -> Bool {
            guard event.resource == resource else { return false }
            if let namespace, namespace != event.namespace { return false }
            return selector?.matches(labels(of: event.object)) ?? true
        }
    }

    private let lock = NSLock()
    private var objects: [Key: JSONValue] = [:]
    private var revision = 1000
    private var history: [FakeStoreEvent] = []
    /// Watches from before this revision get 410 Gone: their events were dropped from history.
    private var compactedRevision = 0
    private var watchers: [UUID: Watcher] = [:]
    private let historyDepth: Int
    let requireNamespaces: Bool

    init(historyDepth: Int, requireNamespaces: Bool) {
        self.historyDepth = max(historyDepth, 1)
        self.requireNamespaces = requireNamespaces
    }

    public var currentRevision: Int { lock.withLock { revision } }

    /// Open watches and subscriptions: lets tests check that a cancelled watch let go of its stream.
    public var watcherCount: Int { lock.withLock { watchers.count } }

    // MARK: Reads

    public func get(_ resource: FakeResourceType, namespace: String, name: String) -> JSONValue? {
        lock.withLock { objects[Key(resource: resource, namespace: namespace, name: name)] }
    }

    /// Matching objects sorted by namespace then name (the order `continue` tokens page through).
    func list(_ resource: FakeResourceType, namespace: String?, selector: LabelSelector?) -> (items: [JSONValue], revision: Int) {
        lock.withLock {
            let items = objects
                .filter { key, object in
                    key.resource == resource && (namespace.map { $0 == key.namespace } ?? true)
                        && (selector?.matches(labels(of: object)) ?? true)
                }
                .sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }
                .map(\.value)
            return (items, revision)
        }
    }

    // MARK: Writes

    /// POST: the object must not exist yet.
    func create(_ resource: FakeResourceType, namespace: String, object: JSONValue, dryRun: Bool) throws -> JSONValue {
        try lock.withLock { () throws -> JSONValue in
            let name = try validate(resource, namespace: namespace, urlName: nil, object: object)
            let key = Key(resource: resource, namespace: namespace, name: name)
            if objects[key] != nil { throw FakeAPIFailure.alreadyExists(resource, name) }
            var created = stripServerFields(resource, object)
            created = initialise(resource, namespace: namespace, object: created, manager: nil, operation: "Update")
            if dryRun { return stamped(created, revision: revision) }
            return record("ADDED", key, created)
        }
    }

    /// Server-side apply: create, or merge the applied fields over the stored object. Fields this
    /// manager applied before and no longer applies are removed (unless another manager owns them);
    /// changing a field another manager owns is a 409 Conflict unless `force`. An apply that changes
    /// nothing leaves the object and its resourceVersion as they were.
    func apply(
        _ resource: FakeResourceType, namespace: String, name: String, object: JSONValue, manager: String, force: Bool,
        dryRun: Bool
    ) throws -> JSONValue {
        try lock.withLock { () throws -> JSONValue in
            _ = try validate(resource, namespace: namespace, urlName: name, object: object)
            let key = Key(resource: resource, namespace: namespace, name: name)
            let applied = stripServerFields(resource, object)
            let appliedPaths = FieldOwnership.leafPaths(of: applied)
            guard let existing = objects[key] else {
                var created = initialise(resource, namespace: namespace, object: applied, manager: nil, operation: "Apply")
                created["metadata"]["managedFields"] = [managedFieldsEntry(manager, resource: resource, operation: "Apply", paths: appliedPaths)]
                if dryRun { return stamped(created, revision: revision) }
                return record("ADDED", key, created)
            }
            var entries = existing["metadata"]["managedFields"].array ?? []
            let isMine = { (entry: JSONValue) in entry["manager"].string == manager && entry["operation"].string == "Apply" }
            var conflicts: [String] = []
            for index in entries.indices where !isMine(entries[index]) {
                var owned = FieldOwnership.paths(fromFieldsV1: entries[index]["fieldsV1"])
                let contested = appliedPaths.intersection(owned).filter {
                    FieldOwnership.value(at: $0, in: existing) != FieldOwnership.value(at: $0, in: applied)
                }
                guard !contested.isEmpty else { continue }
                if force {
                    owned.subtract(contested)
                    entries[index]["fieldsV1"] = FieldOwnership.fieldsV1(owned)
                } else {
                    let other = entries[index]["manager"].string ?? ""
                    conflicts += contested.map { "conflict with \"\(other)\": \(FieldOwnership.describe($0))" }.sorted()
                }
            }
            if !conflicts.isEmpty {
                throw FakeAPIFailure(
                    code: 409, reason: "Conflict",
                    message: "Apply failed with \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"): \(conflicts.joined(separator: ", "))"
                )
            }
            entries.removeAll { !isMine($0) && FieldOwnership.paths(fromFieldsV1: $0["fieldsV1"]).isEmpty && $0["operation"].string == "Apply" }
            let ownedByOthers = entries.filter { !isMine($0) }.reduce(into: Set<FieldOwnership.Path>()) {
                $0.formUnion(FieldOwnership.paths(fromFieldsV1: $1["fieldsV1"]))
            }
            let previouslyMine = entries.first(where: isMine).map { FieldOwnership.paths(fromFieldsV1: $0["fieldsV1"]) } ?? []
            var merged = existing
            let stillSet = appliedPaths.union(ownedByOthers)
            for path in previouslyMine where !stillSet.contains(where: { FieldOwnership.overlaps($0, path) }) {
                merged = FieldOwnership.removing(path, from: merged)
            }
            merged = merged.merging(applied)
            let mine = managedFieldsEntry(manager, resource: resource, operation: "Apply", paths: appliedPaths)
            if let index = entries.firstIndex(where: isMine) {
                // Keep the old entry (and its time) when ownership is unchanged, so a no-op stays a no-op.
                if entries[index]["fieldsV1"] != mine["fieldsV1"] { entries[index] = mine }
            } else {
                entries.append(mine)
            }
            merged["metadata"]["managedFields"] = .array(entries)
            if merged == existing { return existing }
            if contentChanged(existing, merged) {
                merged["metadata"]["generation"] = .integer((existing["metadata"]["generation"].int ?? 0) + 1)
            }
            if dryRun { return merged }
            return record("MODIFIED", key, merged)
        }
    }

    /// Removes the object and, unless orphaning, everything it owns (a StatefulSet's Pods; its PVCs
    /// have no owner and stay). Deleting a Namespace removes everything in it.
    func delete(_ resource: FakeResourceType, namespace: String, name: String, propagationPolicy: String) throws -> JSONValue {
        try lock.withLock { () throws -> JSONValue in
            let key = Key(resource: resource, namespace: namespace, name: name)
            guard let object = objects[key] else { throw FakeAPIFailure.notFound(resource, name) }
            removeCascading(key, object, orphan: propagationPolicy == "Orphan")
            return object
        }
    }

    /// Removes several objects in one step: a watcher sees all of them gone or none, as after
    /// `kubectl delete pod --all` once the deletions have landed. Names that are gone are skipped.
    func deleteAll(_ resource: FakeResourceType, namespace: String, names: [String]) {
        lock.withLock {
            for name in names {
                let key = Key(resource: resource, namespace: namespace, name: name)
                if let object = objects[key] { removeCascading(key, object, orphan: false) }
            }
        }
    }

    /// Replaces `status` (the status subresource): what a controller or the kubelet writes.
    @discardableResult
    public func updateStatus(_ resource: FakeResourceType, namespace: String, name: String, status: JSONValue) -> JSONValue? {
        lock.withLock {
            let key = Key(resource: resource, namespace: namespace, name: name)
            guard var object = objects[key] else { return nil }
            object["status"] = status
            if object == objects[key] { return object }
            return record("MODIFIED", key, object)
        }
    }

    /// Creates or replaces an object as a controller would (no validation, no field managers).
    @discardableResult
    public func put(_ resource: FakeResourceType, namespace: String, object: JSONValue) -> JSONValue {
        lock.withLock {
            let name = object["metadata"]["name"].string ?? ""
            let key = Key(resource: resource, namespace: namespace, name: name)
            if let existing = objects[key] {
                var updated = existing.merging(stripServerFields(resource, object, keepStatus: true))
                if updated == existing { return existing }
                if contentChanged(existing, updated) {
                    updated["metadata"]["generation"] = .integer((existing["metadata"]["generation"].int ?? 0) + 1)
                }
                return record("MODIFIED", key, updated)
            }
            let created = initialise(resource, namespace: namespace, object: stripServerFields(resource, object, keepStatus: true), manager: nil, operation: "Update")
            return record("ADDED", key, created)
        }
    }

    // MARK: Watch

    enum WatchStart {
        case started(UUID)
        case gone(FakeAPIFailure)
    }

    /// Registers a watcher and delivers, in order, the events after `since` (or the current objects as
    /// ADDED when `since` is nil), then every later change. 410 when `since` is older than history.
    func watch(
        _ resource: FakeResourceType, namespace: String?, selector: LabelSelector?, since: Int?,
        deliver: @escaping @Sendable (FakeStoreEvent) -> Void
    ) -> WatchStart {
        lock.withLock {
            let watcher = Watcher(resource: resource, namespace: namespace, selector: selector, deliver: deliver)
            if let since {
                if since < compactedRevision {
                    return .gone(.gone("too old resource version: \(since) (\(compactedRevision))"))
                }
                for event in history where event.revision > since && watcher.wants(event) { deliver(event) }
            } else {
                for (key, object) in objects.sorted(by: { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }) {
                    let event = FakeStoreEvent(type: "ADDED", resource: key.resource, namespace: key.namespace, object: object, revision: revision)
                    if watcher.wants(event) { deliver(event) }
                }
            }
            let id = UUID()
            watchers[id] = watcher
            return .started(id)
        }
    }

    /// Every later change of `resource` (any namespace), for in-process controllers such as a kubelet.
    /// `deliver` runs with the store locked: it must not call the store itself; hand the work to a
    /// task or queue instead.
    public func subscribe(_ resource: FakeResourceType, deliver: @escaping @Sendable (FakeStoreEvent) -> Void) -> UUID {
        lock.withLock {
            let id = UUID()
            watchers[id] = Watcher(resource: resource, namespace: nil, selector: nil, deliver: deliver)
            return id
        }
    }

    public func unsubscribe(_ id: UUID) {
        lock.withLock { watchers[id] = nil }
    }

    /// A BOOKMARK carrying the current revision, delivered in order with the watcher's other events.
    func bookmark(_ id: UUID) {
        lock.withLock {
            guard let watcher = watchers[id] else { return }
            let object: JSONValue = [
                "kind": .string(watcher.resource.kind), "apiVersion": .string(watcher.resource.groupVersion),
                "metadata": ["resourceVersion": .string(String(revision))],
            ]
            watcher.deliver(FakeStoreEvent(type: "BOOKMARK", resource: watcher.resource, namespace: "", object: object, revision: revision))
        }
    }

    // MARK: Internals (called with the lock held)

    private func record(_ type: String, _ key: Key, _ object: JSONValue) -> JSONValue {
        revision += 1
        let stored = stamped(object, revision: revision)
        if type == "DELETED" { objects[key] = nil } else { objects[key] = stored }
        let event = FakeStoreEvent(type: type, resource: key.resource, namespace: key.namespace, object: stored, revision: revision)
        history.append(event)
        if history.count > historyDepth {
            let dropped = history.removeFirst()
            compactedRevision = dropped.revision
        }
        for watcher in watchers.values where watcher.wants(event) { watcher.deliver(event) }
        return stored
    }

    private func stamped(_ object: JSONValue, revision: Int) -> JSONValue {
        var object = object
        object["metadata"]["resourceVersion"] = .string(String(revision))
        return object
    }

    private func removeCascading(_ key: Key, _ object: JSONValue, orphan: Bool) {
        _ = record("DELETED", key, object)
        guard !orphan else { return }
        let uid = object["metadata"]["uid"].string
        let dependents = objects.filter { dependentKey, dependent in
            if key.resource.plural == "namespaces", key.resource.group.isEmpty {
                return dependentKey.namespace == key.name && dependentKey.resource.namespaced
            }
            return (dependent["metadata"]["ownerReferences"].array ?? []).contains { $0["uid"].string == uid && uid != nil }
        }
        for (dependentKey, dependent) in dependents.sorted(by: { $0.key.name < $1.key.name }) where objects[dependentKey] != nil {
            removeCascading(dependentKey, dependent, orphan: false)
        }
    }

    /// Checks what the real server checks before writing; returns the object's name.
    private func validate(_ resource: FakeResourceType, namespace: String, urlName: String?, object: JSONValue) throws -> String {
        guard case .object = object else { throw FakeAPIFailure.badRequest("the request body is not a JSON object") }
        let name = object["metadata"]["name"].string ?? ""
        if object["apiVersion"].string != resource.groupVersion || object["kind"].string != resource.kind {
            throw FakeAPIFailure.invalid(
                resource, name, field: "kind",
                detail: "Invalid value: \"\(object["apiVersion"].string ?? "")/\(object["kind"].string ?? "")\": must be \(resource.groupVersion)/\(resource.kind) for this URL"
            )
        }
        if name.isEmpty {
            throw FakeAPIFailure.invalid(resource, name, field: "metadata.name", detail: "Required value: name or generateName is required")
        }
        if let urlName, urlName != name {
            throw FakeAPIFailure.badRequest("the name of the object (\(name)) does not match the name on the URL (\(urlName))")
        }
        if resource.namespaced {
            if let bodyNamespace = object["metadata"]["namespace"].string, !bodyNamespace.isEmpty, bodyNamespace != namespace {
                throw FakeAPIFailure.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            let namespaces = FakeResourceType.builtIn[0]
            if requireNamespaces, objects[Key(resource: namespaces, namespace: "", name: namespace)] == nil {
                throw FakeAPIFailure.notFound(namespaces, namespace)
            }
        }
        return name
    }

    /// Drops what only the server sets: resourceVersion, uid, timestamps, managedFields, and status
    /// where status is a subresource.
    private func stripServerFields(_ resource: FakeResourceType, _ object: JSONValue, keepStatus: Bool = false) -> JSONValue {
        var object = object
        for field in ["resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "deletionTimestamp"] {
            object["metadata"].removeValue(forKey: field)
        }
        if resource.hasStatusSubresource, !keepStatus { object.removeValue(forKey: "status") }
        return object
    }

    private func initialise(_ resource: FakeResourceType, namespace: String, object: JSONValue, manager: String?, operation: String) -> JSONValue {
        var object = object
        if resource.namespaced { object["metadata"]["namespace"] = .string(namespace) }
        object["metadata"]["uid"] = .string(UUID().uuidString.lowercased())
        object["metadata"]["creationTimestamp"] = .string(Self.timestamp())
        object["metadata"]["generation"] = 1
        if let manager {
            let paths = FieldOwnership.leafPaths(of: object)
            object["metadata"]["managedFields"] = [managedFieldsEntry(manager, resource: resource, operation: operation, paths: paths)]
        }
        return object
    }

    private func managedFieldsEntry(_ manager: String, resource: FakeResourceType, operation: String, paths: Set<FieldOwnership.Path>) -> JSONValue {
        [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(resource.groupVersion),
            "time": .string(Self.timestamp()), "fieldsType": "FieldsV1", "fieldsV1": FieldOwnership.fieldsV1(paths),
        ]
    }

    /// Whether anything besides metadata and status differs: what bumps `metadata.generation`.
    private func contentChanged(_ old: JSONValue, _ new: JSONValue) -> Bool {
        var old = old
        var new = new
        for field in ["metadata", "status"] {
            old.removeValue(forKey: field)
            new.removeValue(forKey: field)
        }
        return old != new
    }

    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}

func labels(of object: JSONValue) -> [String: String] {
    (object["metadata"]["labels"].object ?? [:]).compactMapValues(\.string)
}
