import Backup
import Foundation
import Testing

/// AWS's published Signature Version 4 test vectors (the sig-v4 test suite and the S3 guide's examples).
@Suite struct SigV4SignerTests {
    let suite = SigV4Signer(credentials: S3Credentials(accessKeyId: "AKIDEXAMPLE",
                                                       secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                            region: "us-east-1", service: "service")
    let headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]

    @Test func getVanilla() {
        let authorization = suite.authorization(method: "GET", canonicalURI: "/", query: [], headers: headers,
                                                payloadHash: SigV4Signer.emptyPayloadHash, amzDate: "20150830T123600Z")
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func getVanillaQueryOrderKeyCase() {
        let canonical = suite.canonicalRequest(method: "GET", canonicalURI: "/",
                                               query: [("Param2", "value2"), ("Param1", "value1")], headers: headers,
                                               payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(canonical.request.split(separator: "\n", omittingEmptySubsequences: false)[2] == "Param1=value1&Param2=value2")
        let authorization = suite.authorization(method: "GET", canonicalURI: "/",
                                                query: [("Param2", "value2"), ("Param1", "value1")], headers: headers,
                                                payloadHash: SigV4Signer.emptyPayloadHash, amzDate: "20150830T123600Z")
        #expect(authorization.hasSuffix("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))
    }

    /// The S3 developer guide's "GET Object" example (first 10 bytes of examplebucket/test.txt).
    @Test func s3GetObjectExample() {
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE",
                                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1", service: "s3")
        let headers = [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
                       ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash), ("x-amz-date", "20130524T000000Z")]
        let canonical = signer.canonicalRequest(method: "GET", canonicalURI: "/test.txt", query: [], headers: headers,
                                                payloadHash: SigV4Signer.emptyPayloadHash)
        let toSign = signer.stringToSign(canonicalRequest: canonical.request, amzDate: "20130524T000000Z")
        #expect(toSign == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            + "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        #expect(signer.signature(stringToSign: toSign, amzDate: "20130524T000000Z")
            == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(canonical.signedHeaders == "host;range;x-amz-content-sha256;x-amz-date")
    }

    @Test func encodingAndDates() {
        #expect(SigV4Signer.uriEncode("a b/c~d*e", keepSlash: true) == "a%20b/c~d%2Ae")
        #expect(SigV4Signer.uriEncode("a/b", keepSlash: false) == "a%2Fb")
        #expect(SigV4Signer.amzDate(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
        #expect(SigV4Signer.amzDate(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(SigV4Signer.emptyPayloadHash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func sessionTokenIsSigned() {
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyId: "AK", secretAccessKey: "SK", sessionToken: "TOKEN"),
                                 region: "eu-west-1")
        let headers = signer.signedHeaders(method: "GET", host: "b.s3.eu-west-1.amazonaws.com", canonicalURI: "/k",
                                           query: [], extraHeaders: [], payloadHash: SigV4Signer.emptyPayloadHash,
                                           date: Date(timeIntervalSince1970: 0))
        #expect(headers.contains { $0.0 == "x-amz-security-token" && $0.1 == "TOKEN" })
        let authorization = headers.first { $0.0 == "authorization" }?.1 ?? ""
        #expect(authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"))
        #expect(authorization.contains("Credential=AK/19700101/eu-west-1/s3/aws4_request"))
    }
}
