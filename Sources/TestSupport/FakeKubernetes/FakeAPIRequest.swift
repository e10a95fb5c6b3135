import Foundation

/// One HTTP request as the fake server's router sees it.
struct FakeAPIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var contentType: String?
    var authorization: String?
    var body: Data

    /// Splits `uri` into path and decoded query (`+` is a space, as in Go's parser).
    init(method: String, uri: String, contentType: String?, authorization: String?, body: Data) {
        self.method = method
        self.contentType = contentType
        self.authorization = authorization
        self.body = body
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = parts.first.map(String.init) ?? "/"
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (text: Substring) in
                    text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
                }
                guard let key = keyValue.first else { continue }
                query[decode(key)] = keyValue.count == 2 ? decode(keyValue[1]) : ""
            }
        }
        self.query = query
    }
}

/// What the router decided: a complete answer, or a watch stream for the HTTP layer to run.
enum FakeAPIResponse: Sendable {
    case json(status: Int, body: JSONValue, headers: [(String, String)])
    case watch(FakeWatchRequest)

    static func ok(_ body: JSONValue, status: Int = 200) -> FakeAPIResponse { .json(status: status, body: body, headers: []) }
    static func failure(_ failure: FakeAPIFailure) -> FakeAPIResponse { .json(status: failure.code, body: failure.status, headers: []) }
}

struct FakeWatchRequest: Sendable {
    var resource: FakeResourceType
    var namespace: String?
    var selector: LabelSelector?
    var since: Int?
    var bookmarks: Bool
    var timeout: Duration?
}
