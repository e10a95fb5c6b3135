/// Just enough XML for S3's flat answers: the text of `<Tag>…</Tag>` elements and the bodies of
/// repeated blocks (`<Contents>…</Contents>`). S3 never nests an element inside one of its own name.
enum S3XML {
    /// The bodies of every `<tag>…</tag>` (or `<tag attr="…">…</tag>`) in order.
    static func elements(_ tag: String, in text: String) -> [Substring] {
        var results: [Substring] = []
        var rest = text[...]
        let close = "</\(tag)>"
        while let open = rest.range(of: "<\(tag)") {
            let afterName = rest[open.upperBound...]
            guard let next = afterName.first else { break }
            // `<Key>` must not match `<KeyMarker>`.
            guard next == ">" || next == " " || next == "/" else {
                rest = afterName
                continue
            }
            guard let tagEnd = afterName.firstIndex(of: ">") else { break }
            if tagEnd > afterName.startIndex, afterName[afterName.index(before: tagEnd)] == "/" {
                results.append("")
                rest = afterName[afterName.index(after: tagEnd)...]
                continue
            }
            let bodyStart = afterName.index(after: tagEnd)
            guard let end = afterName[bodyStart...].range(of: close) else { break }
            results.append(afterName[bodyStart..<end.lowerBound])
            rest = afterName[end.upperBound...]
        }
        return results
    }

    /// The decoded text of the first `<tag>`, or nil.
    static func value(_ tag: String, in text: some StringProtocol) -> String? {
        elements(tag, in: String(text)).first.map { decode($0) }
    }

    /// Replaces the five predefined entities and numeric references.
    static func decode(_ text: some StringProtocol) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                var scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") { scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init) }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// An S3 error answer turned into one line: what was asked, the code and message, where.
public struct S3ErrorResponse: Sendable, Equatable {
    public var status: Int
    public var code: String?
    public var message: String?
    public var bucket: String?
    public var key: String?

    public init(status: Int, body: String) {
        self.status = status
        code = S3XML.value("Code", in: body)
        message = S3XML.value("Message", in: body)
        bucket = S3XML.value("BucketName", in: body)
        key = S3XML.value("Key", in: body)
    }

    /// `PUT s3://bucket/key: NoSuchBucket: The specified bucket does not exist (HTTP 404)`.
    public func line(operation: String, target: String) -> String {
        var detail = [code, message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        if detail.isEmpty { detail = "no error details" }
        var text = "S3 \(operation) \(target) failed: \(detail) (HTTP \(status))"
        if let bucket, !target.contains(bucket) { text += " bucket \(bucket)" }
        if let hint = hint { text += "; \(hint)" }
        return text
    }

    /// What to do about the usual causes.
    var hint: String? {
        switch code {
        case "NoSuchBucket": "create the bucket or fix the bucket name"
        case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
            "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or the backup Secret)"
        case "AccessDenied": "the credentials lack permission for this bucket and prefix"
        case "AuthorizationHeaderMalformed", "PermanentRedirect": "check the region (AWS_REGION or spec.backup.s3.region)"
        default: nil
        }
    }

    /// Credentials, permissions or a missing bucket: nothing can work until someone fixes them.
    public var isConfigurationProblem: Bool {
        status == 401 || status == 403 || code == "NoSuchBucket" || code == "AuthorizationHeaderMalformed"
            || code == "PermanentRedirect" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch"
    }
}
