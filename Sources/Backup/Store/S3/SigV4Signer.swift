import Crypto
import Foundation
import RedisCtlCore

/// AWS access keys; the session token comes with temporary credentials.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Never shows the secret.
    public var description: String { "access key \(accessKeyId)" }
}

/// AWS Signature Version 4 (header form): pure functions from a request's parts to its
/// Authorization header. Checked against AWS's published test vectors.
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The hex SHA-256 of an empty payload.
    public static let emptyPayloadHash = hex(SHA256.hash(data: [UInt8]()))

    /// `20150830T123600Z`.
    public static func amzDate(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)\(two(month))\(two(day))T\(two(secondOfDay / 3600))\(two(secondOfDay % 3600 / 60))\(two(secondOfDay % 60))Z"
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civilDate(daysSinceEpoch: Int) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-_.~` is `%XX`;
    /// `/` is kept when `keepSlash` (object keys in paths).
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let digits = Array("0123456789ABCDEF")
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out.append("%")
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        let upper: ClosedRange<UInt8> = 0x41...0x5A
        let lower: ClosedRange<UInt8> = 0x61...0x7A
        let digit: ClosedRange<UInt8> = 0x30...0x39
        if upper.contains(byte) || lower.contains(byte) || digit.contains(byte) { return true }
        let marks: [UInt8] = [0x2D, 0x5F, 0x2E, 0x7E]
        return marks.contains(byte)
    }

    /// Sorted `name=value` pairs, both encoded; also the URL's query string.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { pair in
            (uriEncode(pair.0, keepSlash: false), uriEncode(pair.1, keepSlash: false))
        }
        let sorted = encoded.sorted { lhs, rhs in lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// The canonical request and the signed-headers list. `canonicalURI` is already encoded.
    public func canonicalRequest(method: String, canonicalURI: String, query: [(String, String)],
                                 headers: [(String, String)], payloadHash: String) -> (request: String, signedHeaders: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(collapsed)
        }
        let names = merged.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(merged[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let request = [method, canonicalURI.isEmpty ? "/" : canonicalURI, Self.canonicalQuery(query),
                       canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
        return (request, signedHeaders)
    }

    public func scope(amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    public func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        ["AWS4-HMAC-SHA256", amzDate, scope(amzDate: amzDate),
         Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    public func signature(stringToSign: String, amzDate: String) -> String {
        func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
        }
        let dateKey = hmac(Array("AWS4\(credentials.secretAccessKey)".utf8), String(amzDate.prefix(8)))
        let signingKey = hmac(hmac(hmac(dateKey, region), service), "aws4_request")
        return Self.hex(hmac(signingKey, stringToSign))
    }

    /// The Authorization header's value. `headers` must hold every header to sign, including
    /// `host` and `x-amz-date` (equal to `amzDate`).
    public func authorization(method: String, canonicalURI: String, query: [(String, String)],
                              headers: [(String, String)], payloadHash: String, amzDate: String) -> String {
        let canonical = canonicalRequest(method: method, canonicalURI: canonicalURI, query: query,
                                         headers: headers, payloadHash: payloadHash)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical.request, amzDate: amzDate),
                                  amzDate: amzDate)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope(amzDate: amzDate)), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
    }

    /// The headers an S3 request carries: host, date, payload hash, session token and Authorization.
    public func signedHeaders(method: String, host: String, canonicalURI: String, query: [(String, String)],
                              extraHeaders: [(String, String)], payloadHash: String, date: Date) -> [(String, String)] {
        let amzDate = Self.amzDate(date)
        var headers: [(String, String)] = [("host", host), ("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += extraHeaders
        let authorization = authorization(method: method, canonicalURI: canonicalURI, query: query, headers: headers,
                                          payloadHash: payloadHash, amzDate: amzDate)
        return headers + [("authorization", authorization)]
    }

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        lowercaseHex(digest)
    }
}
