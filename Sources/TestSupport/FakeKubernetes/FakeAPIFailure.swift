/// An error answer of the fake API server, rendered as a `Status` object like the real one's.
struct FakeAPIFailure: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: JSONValue = .null

    var status: JSONValue {
        var status: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .integer(code),
        ]
        if !details.isNull { status["details"] = details }
        return status
    }

    /// `details` as the real server fills them (`StatusDetails`: an empty group is left out).
    static func details(name: String, group: String, kind: String) -> JSONValue {
        var details: JSONValue = ["name": .string(name), "kind": .string(kind)]
        if !group.isEmpty { details["group"] = .string(group) }
        return details
    }

    /// Also what a write into a namespace that does not exist gets (`namespaces "X" not found`),
    /// from the real server's NamespaceLifecycle admission, dry run or not.
    static func notFound(_ type: FakeResourceType, _ name: String) -> FakeAPIFailure {
        FakeAPIFailure(
            code: 404, reason: "NotFound", message: "\(type.qualifiedName) \"\(name)\" not found",
            details: details(name: name, group: type.group, kind: type.plural)
        )
    }

    static let unknownResource = FakeAPIFailure(code: 404, reason: "NotFound", message: "the server could not find the requested resource")

    static func alreadyExists(_ type: FakeResourceType, _ name: String) -> FakeAPIFailure {
        FakeAPIFailure(
            code: 409, reason: "AlreadyExists", message: "\(type.qualifiedName) \"\(name)\" already exists",
            details: details(name: name, group: type.group, kind: type.plural)
        )
    }

    static func invalid(_ type: FakeResourceType, _ name: String, field: String, detail: String) -> FakeAPIFailure {
        FakeAPIFailure(
            code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(field): \(detail)",
            details: [
                "name": .string(name), "group": .string(type.group), "kind": .string(type.kind),
                "causes": [["reason": "FieldValueInvalid", "message": .string(detail), "field": .string(field)]],
            ]
        )
    }

    static func badRequest(_ message: String) -> FakeAPIFailure {
        FakeAPIFailure(code: 400, reason: "BadRequest", message: message)
    }

    static func gone(_ message: String) -> FakeAPIFailure {
        FakeAPIFailure(code: 410, reason: "Expired", message: message)
    }

    static let unauthorized = FakeAPIFailure(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static let unsupportedMediaType = FakeAPIFailure(
        code: 415, reason: "UnsupportedMediaType",
        message: "the body of the request was in an unknown format - accepted media types include: "
            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )
}
