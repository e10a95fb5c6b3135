import Certificates
import Foundation
import Testing

@Suite struct TrustBundleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let year: Duration = .seconds(365 * 86_400)

    @Test func aBundleHoldsBothCAsAndTheKeyPicksTheOneThatSigns() throws {
        let old = try CertificateAuthority.create(commonName: "old CA", validity: Self.year, now: Self.now)
        let new = try CertificateAuthority.create(commonName: "new CA", validity: Self.year, now: Self.now)
        let bundle = TrustBundle([old]).adding(new).adding(new)
        #expect(bundle.certificatesPEM.count == 2)
        let reread = try TrustBundle(pem: bundle.pem, what: "ca.crt")
        #expect(reread == bundle && reread.contains(old) && reread.contains(new))

        let signer = try CertificateAuthority(signingFrom: reread, privateKeyPEM: new.issued.privateKeyPEM, what: "ca.crt")
        let leaf = try signer.issue(CertificateRequest(commonName: "n", ipAddresses: ["127.0.0.1"], validity: Self.year), now: Self.now)
        #expect(new.signed(leaf.certificatePEM) && !old.signed(leaf.certificatePEM))
        let stranger = try CertificateAuthority.create(commonName: "stranger", validity: Self.year, now: Self.now)
        #expect(throws: CertificateError.keyMismatch(what: "ca.crt")) {
            try CertificateAuthority(signingFrom: reread, privateKeyPEM: stranger.issued.privateKeyPEM, what: "ca.crt")
        }
    }

    @Test func anythingButCertificatesIsRefused() throws {
        let authority = try CertificateAuthority.create(commonName: "CA", validity: Self.year, now: Self.now)
        for text in ["", "hello", authority.issued.privateKeyPEM, authority.issued.certificatePEM + authority.issued.privateKeyPEM] {
            #expect(throws: CertificateError.self) { try TrustBundle(pem: text, what: "ca.crt") }
        }
    }

    @Test func theFingerprintIsTheCertificatesSHA256() throws {
        let authority = try CertificateAuthority.create(commonName: "CA", validity: Self.year, now: Self.now)
        let der = try #require(certificateDER(fromPEM: authority.issued.certificatePEM))
        let fingerprint = certificateFingerprint(der)
        #expect(fingerprint.count == 64 && fingerprint.allSatisfy(\.isHexDigit))
        #expect(certificateDER(fromPEM: authority.issued.privateKeyPEM) == nil)
    }
}
