import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// Sends one raw HTTP request and returns the status and the body as JSON.
func rawRequest(
    _ server: FakeKubernetesAPIServer, _ method: String, _ pathAndQuery: String, contentType: String? = nil, body: String? = nil
) async throws -> (status: Int, json: JSONValue) {
    let url = try #require(URL(string: server.baseURL.absoluteString + pathAndQuery))
    var request = URLRequest(url: url)
    request.httpMethod = method
    if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
    request.httpBody = body.map { Data($0.utf8) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    return (status, try JSONValue(data: data))
}

let namespaceJSON = #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}}"#
let configMapJSON = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}}"#

@Suite("FakeKubernetesAPIServer protocol")
struct FakeAPIServerProtocolTests {
    @Test("PATCH with a content type other than apply-patch+yaml is 415 UnsupportedMediaType")
    func unsupportedMediaType() async throws {
        try await FakeKubernetesAPIServer.withServer { server in
            _ = try await rawRequest(server, "POST", "/api/v1/namespaces", contentType: "application/json", body: namespaceJSON)
            let answer = try await rawRequest(server, "PATCH", "/api/v1/namespaces/ns/configmaps/cm?fieldManager=t",
                                              contentType: "application/merge-patch+json", body: configMapJSON)
            #expect(answer.status == 415)
            #expect(answer.json["kind"].string == "Status")
            #expect(answer.json["status"].string == "Failure")
            #expect(answer.json["reason"].string == "UnsupportedMediaType")
            #expect(answer.json["code"].int == 415)
        }
    }

    @Test("apply without a field manager is 400; with one it creates (201) then updates (200)")
    func applyNeedsFieldManager() async throws {
        try await FakeKubernetesAPIServer.withServer { server in
            _ = try await rawRequest(server, "POST", "/api/v1/namespaces", contentType: "application/json", body: namespaceJSON)
            let path = "/api/v1/namespaces/ns/configmaps/cm"
            let missing = try await rawRequest(server, "PATCH", path, contentType: "application/apply-patch+yaml", body: configMapJSON)
            #expect(missing.status == 400)
            let created = try await rawRequest(server, "PATCH", path + "?fieldManager=a", contentType: "application/apply-patch+yaml", body: configMapJSON)
            #expect(created.status == 201)
            let second = try await rawRequest(server, "PATCH", path + "?fieldManager=b", contentType: "application/apply-patch+yaml",
                                              body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"other":"x"}}"#)
            #expect(second.status == 200)
            #expect(second.json["data"]["k"].string == "v")
            #expect(second.json["data"]["other"].string == "x")
            #expect(second.json["metadata"]["managedFields"].array?.compactMap { $0["manager"].string } == ["a", "b"])
        }
    }

    @Test("404 and 409 are Status objects with details, like the real server's")
    func statusShapes() async throws {
        try await FakeKubernetesAPIServer.withServer { server in
            let missing = try await rawRequest(server, "GET", "/api/v1/namespaces/ns/configmaps/nope")
            #expect(missing.status == 404)
            #expect(missing.json == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                "message": #"configmaps "nope" not found"#, "reason": "NotFound",
                "details": ["name": "nope", "kind": "configmaps"], "code": 404,
            ])
            _ = try await rawRequest(server, "POST", "/api/v1/namespaces", contentType: "application/json", body: namespaceJSON)
            let again = try await rawRequest(server, "POST", "/api/v1/namespaces", contentType: "application/json", body: namespaceJSON)
            #expect(again.status == 409)
            #expect(again.json["reason"].string == "AlreadyExists")
            #expect(again.json["details"]["name"].string == "ns")
        }
    }

    @Test("writing into a namespace that does not exist is 404, as on a real cluster")
    func namespaceMustExist() async throws {
        try await FakeKubernetesAPIServer.withServer { server in
            let missingNamespace: JSONValue = [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                "message": #"namespaces "ghost" not found"#, "reason": "NotFound",
                "details": ["name": "ghost", "kind": "namespaces"], "code": 404,
            ]
            // Create and server-side apply, dry run or not: NamespaceLifecycle admission refuses them all.
            for query in ["", "?dryRun=All"] {
                let created = try await rawRequest(server, "POST", "/api/v1/namespaces/ghost/configmaps\(query)",
                                                   contentType: "application/json", body: configMapJSON)
                #expect(created.status == 404 && created.json == missingNamespace, "POST\(query): \(created.json)")
                let separator = query.isEmpty ? "?" : "&"
                let applied = try await rawRequest(server, "PATCH", "/api/v1/namespaces/ghost/configmaps/cm\(query)\(separator)fieldManager=t",
                                                   contentType: "application/apply-patch+yaml", body: configMapJSON)
                #expect(applied.status == 404 && applied.json == missingNamespace, "PATCH\(query): \(applied.json)")
            }
            #expect(server.objects("configmaps", namespace: "ghost").isEmpty)
        }
    }

    @Test("a dry-run write of a Namespace answers as if created and stores nothing")
    func dryRunNamespaceStoresNothing() async throws {
        try await FakeKubernetesAPIServer.withServer { server in
            let before = server.currentResourceVersion
            let created = try await rawRequest(server, "POST", "/api/v1/namespaces?dryRun=All",
                                               contentType: "application/json", body: namespaceJSON)
            #expect(created.status == 201 && created.json["metadata"]["name"].string == "ns")
            let applied = try await rawRequest(server, "PATCH", "/api/v1/namespaces/ns?dryRun=All&fieldManager=t",
                                               contentType: "application/apply-patch+yaml", body: namespaceJSON)
            #expect(applied.status == 201 && applied.json["metadata"]["name"].string == "ns")
            #expect(server.object("namespaces", namespace: "", name: "ns") == nil)
            #expect(server.currentResourceVersion == before)
            // So the namespace is still missing for what would go into it.
            let inside = try await rawRequest(server, "POST", "/api/v1/namespaces/ns/configmaps?dryRun=All",
                                              contentType: "application/json", body: configMapJSON)
            #expect(inside.status == 404 && inside.json["message"].string == #"namespaces "ns" not found"#)
        }
    }

    @Test("a forbidden verb is 403 worded like RBAC")
    func forbiddenWording() async throws {
        try await FakeKubernetesAPIServer.withServer { server in
            server.forbid(verb: "patch", resource: "configmaps")
            let answer = try await rawRequest(server, "PATCH", "/api/v1/namespaces/ns/configmaps/x?fieldManager=t",
                                              contentType: "application/apply-patch+yaml", body: configMapJSON)
            #expect(answer.status == 403)
            #expect(answer.json["message"].string
                == #"configmaps "x" is forbidden: User "system:serviceaccount:default:redisctl" cannot patch resource "configmaps" in API group "" in the namespace "ns""#)
        }
    }

    @Test("discovery serves /api/v1 and group resource lists")
    func discoveryDocuments() async throws {
        try await FakeKubernetesAPIServer.withServer { server in
            let core = try await rawRequest(server, "GET", "/api/v1")
            #expect(core.json["kind"].string == "APIResourceList")
            let pods = core.json["resources"].array?.first { $0["name"].string == "pods" }
            #expect(pods?["namespaced"].bool == true)
            #expect(pods?["kind"].string == "Pod")
            let apps = try await rawRequest(server, "GET", "/apis/apps/v1")
            #expect(apps.json["groupVersion"].string == "apps/v1")
            let groups = try await rawRequest(server, "GET", "/apis")
            #expect(groups.json["groups"].array?.contains { $0["name"].string == "rbac.authorization.k8s.io" } == true)
            let unknown = try await rawRequest(server, "GET", "/apis/example.com/v1")
            #expect(unknown.status == 404)
        }
    }
}
