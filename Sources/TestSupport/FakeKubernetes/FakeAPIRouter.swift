import Foundation

/// Maps REST requests onto the object store: discovery, get, list, watch, create, apply, delete,
/// with authentication, authorization and the real server's Status errors.
struct FakeAPIRouter: Sendable {
    let store: FakeObjectStore
    let policy: FakeAccessPolicy
    let options: FakeAPIServerOptions

    var resourceTypes: [FakeResourceType] {
        FakeResourceType.builtIn + (options.servesMonitoringCRDs ? FakeResourceType.monitoring : [])
    }

    /// Where a path points once the group/version prefix is read.
    private struct Target {
        var resource: FakeResourceType
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    func route(_ request: FakeAPIRequest) -> FakeAPIResponse {
        policy.record("\(request.method) \(request.path)")
        if let injected = policy.takeInjectedFailure() {
            let failure = FakeAPIFailure(code: injected.status, reason: injected.status == 429 ? "TooManyRequests" : "ServiceUnavailable",
                                         message: "injected failure")
            let headers = injected.retryAfterSeconds.map { [("Retry-After", String($0))] } ?? []
            return .json(status: failure.code, body: failure.status, headers: headers)
        }
        guard policy.isAuthorized(request.authorization) else { return .failure(.unauthorized) }
        if let portForward = portForwardWithoutUpgrade(request) { return portForward }
        let segments = request.path.split(separator: "/").map(String.init)
        switch segments.count {
        case 1 where segments[0] == "api":
            return .ok(["kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []])
        case 1 where segments[0] == "apis":
            return .ok(groupList())
        case 2 where segments[0] == "api":
            return resourceList(group: "", version: segments[1])
        case 3 where segments[0] == "apis":
            return resourceList(group: segments[1], version: segments[2])
        default:
            break
        }
        let group: String, version: String, rest: ArraySlice<String>
        if segments.first == "api", segments.count >= 3 {
            (group, version, rest) = ("", segments[1], segments[2...])
        } else if segments.first == "apis", segments.count >= 4 {
            (group, version, rest) = (segments[1], segments[2], segments[3...])
        } else {
            return .failure(.unknownResource)
        }
        guard let target = resolve(group: group, version: version, rest: Array(rest)) else { return .failure(.unknownResource) }
        do {
            return try handle(request, target)
        } catch let failure as FakeAPIFailure {
            return .failure(failure)
        } catch {
            return .failure(FakeAPIFailure(code: 500, reason: "InternalError", message: "\(error)"))
        }
    }

    private func resolve(group: String, version: String, rest: [String]) -> Target? {
        var namespace: String?
        var rest = rest
        if rest.count >= 3, rest[0] == "namespaces" {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let plural = rest.first, rest.count <= 3,
              let resource = resourceTypes.first(where: { $0.group == group && $0.version == version && $0.plural == plural })
        else { return nil }
        // A namespaced resource's single object needs a namespace; a cluster-scoped one must not have one.
        if !resource.namespaced, namespace != nil { return nil }
        if resource.namespaced, namespace == nil, rest.count >= 2 { return nil }
        return Target(resource: resource, namespace: namespace, name: rest.count >= 2 ? rest[1] : nil,
                      subresource: rest.count == 3 ? rest[2] : nil)
    }

    private func handle(_ request: FakeAPIRequest, _ target: Target) throws -> FakeAPIResponse {
        let isWatch = ["1", "true"].contains(request.query["watch"] ?? "")
        let verb: String
        switch (request.method, target.name) {
        case ("GET", nil): verb = isWatch ? "watch" : "list"
        case ("GET", _): verb = "get"
        case ("POST", nil): verb = "create"
        case ("PATCH", _?): verb = "patch"
        case ("DELETE", _?): verb = "delete"
        default:
            return .json(status: 405, body: FakeAPIFailure(code: 405, reason: "MethodNotAllowed",
                                                           message: "the server does not allow this method on the requested resource").status, headers: [])
        }
        if target.subresource != nil {
            // Subresources (status, portforward, …) are not served over REST yet.
            throw FakeAPIFailure.unknownResource
        }
        if policy.isForbidden(verb: verb, resource: target.resource) { throw forbidden(verb, target) }
        let namespace = target.namespace ?? ""
        let dryRun = request.query["dryRun"] == "All"
        switch verb {
        case "get":
            let name = target.name ?? ""
            guard let object = store.get(target.resource, namespace: namespace, name: name) else {
                throw FakeAPIFailure.notFound(target.resource, name)
            }
            return .ok(object)
        case "list":
            return try list(request, target)
        case "watch":
            return .watch(FakeWatchRequest(
                resource: target.resource, namespace: target.namespace, selector: try selector(request),
                since: request.query["resourceVersion"].flatMap { Int($0) }.flatMap { $0 == 0 ? nil : $0 },
                bookmarks: request.query["allowWatchBookmarks"] == "true",
                timeout: request.query["timeoutSeconds"].flatMap { Int($0) }.map { .seconds($0) }
            ))
        case "create":
            guard request.contentType.map(isJSONOrYAML) ?? true else { throw FakeAPIFailure.unsupportedMediaType }
            let created = try store.create(target.resource, namespace: namespace, object: try body(request), dryRun: dryRun)
            return .ok(created, status: 201)
        case "patch":
            guard request.contentType?.hasPrefix("application/apply-patch+yaml") == true else { throw FakeAPIFailure.unsupportedMediaType }
            guard let manager = request.query["fieldManager"], !manager.isEmpty else {
                throw FakeAPIFailure.badRequest("PATCH \(request.path): fieldManager is required for apply requests")
            }
            let existed = store.get(target.resource, namespace: namespace, name: target.name ?? "") != nil
            let applied = try store.apply(target.resource, namespace: namespace, name: target.name ?? "",
                                          object: try body(request), manager: manager,
                                          force: request.query["force"] == "true", dryRun: dryRun)
            return .ok(applied, status: existed ? 200 : 201)
        default:
            let options = (try? JSONValue(data: request.body)) ?? .null
            let policy = request.query["propagationPolicy"] ?? options["propagationPolicy"].string ?? "Background"
            let name = target.name ?? ""
            let deleted = try store.delete(target.resource, namespace: namespace, name: name, propagationPolicy: policy)
            return .ok([
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success",
                "details": ["name": .string(name), "group": .string(target.resource.group), "kind": .string(target.resource.plural),
                            "uid": deleted["metadata"]["uid"]],
            ])
        }
    }

    private func list(_ request: FakeAPIRequest, _ target: Target) throws -> FakeAPIResponse {
        let (all, revision) = store.list(target.resource, namespace: target.namespace, selector: try selector(request))
        var items = all
        if let token = request.query["continue"], !token.isEmpty {
            // The token is the last key served, base64-encoded; the next page starts after it.
            guard let decoded = Data(base64Encoded: token).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw FakeAPIFailure.badRequest("continue key is not valid")
            }
            items = items.filter { Self.pageKey($0) > decoded }
        }
        var metadata: JSONValue = ["resourceVersion": .string(String(revision))]
        if let limit = request.query["limit"].flatMap({ Int($0) }), limit > 0, items.count > limit {
            items = Array(items.prefix(limit))
            if let last = items.last {
                metadata["continue"] = .string(Data(Self.pageKey(last).utf8).base64EncodedString())
                metadata["remainingItemCount"] = .integer(all.count - items.count)
            }
        }
        return .ok([
            "kind": .string(target.resource.kind + "List"), "apiVersion": .string(target.resource.groupVersion),
            "metadata": metadata, "items": .array(items),
        ])
    }

    private static func pageKey(_ object: JSONValue) -> String {
        "\(object["metadata"]["namespace"].string ?? "")\u{0}\(object["metadata"]["name"].string ?? "")"
    }

    private func selector(_ request: FakeAPIRequest) throws -> LabelSelector? {
        guard let text = request.query["labelSelector"], !text.isEmpty else { return nil }
        guard let selector = LabelSelector(text) else { throw FakeAPIFailure.badRequest("unable to parse requirement: \(text)") }
        return selector
    }

    private func body(_ request: FakeAPIRequest) throws -> JSONValue {
        do {
            return try JSONValue(data: request.body)
        } catch {
            // Real servers read YAML too; clients here send JSON (which is YAML) and this server reads only that.
            throw FakeAPIFailure.badRequest("the request body is not JSON (this fake server reads JSON bodies only)")
        }
    }

    private func isJSONOrYAML(_ contentType: String) -> Bool {
        contentType.hasPrefix("application/json") || contentType.hasPrefix("application/yaml")
    }

    /// Worded like the real RBAC refusal.
    private func forbidden(_ verb: String, _ target: Target) -> FakeAPIFailure {
        let subject = target.name.map { "\(target.resource.qualifiedName) \"\($0)\"" } ?? target.resource.qualifiedName
        let scope = target.namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        return FakeAPIFailure(
            code: 403, reason: "Forbidden",
            message: "\(subject) is forbidden: User \"\(options.userName)\" cannot \(verb) resource \"\(target.resource.plural)\" "
                + "in API group \"\(target.resource.group)\" \(scope)",
            details: FakeAPIFailure.details(name: target.name ?? "", group: target.resource.group, kind: target.resource.plural)
        )
    }

    // MARK: Discovery

    private func groupList() -> JSONValue {
        var versionsByGroup: [String: [String]] = [:]
        for type in resourceTypes where !type.group.isEmpty {
            if !(versionsByGroup[type.group] ?? []).contains(type.version) { versionsByGroup[type.group, default: []].append(type.version) }
        }
        let groups: [JSONValue] = versionsByGroup.keys.sorted().map { group in
            let versions: [JSONValue] = (versionsByGroup[group] ?? []).map {
                ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)]
            }
            return ["name": .string(group), "versions": .array(versions), "preferredVersion": versions.first ?? .null]
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    private func resourceList(group: String, version: String) -> FakeAPIResponse {
        let types = resourceTypes.filter { $0.group == group && $0.version == version }
        guard let first = types.first else { return .failure(.unknownResource) }
        let verbs: JSONValue = ["create", "delete", "get", "list", "patch", "update", "watch"]
        let resources: [JSONValue] = types.map {
            ["name": .string($0.plural), "singularName": .string($0.singular), "namespaced": .bool($0.namespaced),
             "kind": .string($0.kind), "verbs": verbs]
        }
        return .ok(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(first.groupVersion),
                    "resources": .array(resources)])
    }
}
