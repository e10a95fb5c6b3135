import Certificates
import Foundation
import Testing

@Suite struct CertificateAuthorityTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let year: Duration = .seconds(365 * 86_400)

    @Test func aKeptCertificateFitsOnlyWhatItWasIssuedFor() throws {
        let authority = try CertificateAuthority.create(commonName: "test CA", validity: .seconds(10 * 365 * 86_400), now: Self.now)
        let request = CertificateRequest(commonName: "c-0", dnsNames: ["c-0", "localhost"], ipAddresses: ["127.0.5.1"], validity: Self.year)
        let issued = try authority.issue(request, now: Self.now)
        #expect(issued.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(issued.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(authority.stillFits(issued.certificatePEM, request, now: Self.now, margin: .seconds(86_400)))

        var moved = request
        moved.ipAddresses = ["127.0.5.2"]
        #expect(!authority.stillFits(issued.certificatePEM, moved, now: Self.now, margin: .seconds(86_400)))
        // Within the renewal margin of its end: renewed.
        #expect(!authority.stillFits(issued.certificatePEM, request, now: Self.now.addingTimeInterval(360 * 86_400),
                                     margin: .seconds(30 * 86_400)))
        // Signed by another CA: not ours.
        let other = try CertificateAuthority.create(commonName: "test CA", validity: Self.year, now: Self.now)
        #expect(!other.stillFits(issued.certificatePEM, request, now: Self.now, margin: .seconds(86_400)))
        #expect(!authority.stillFits("not a certificate", request, now: Self.now, margin: .seconds(86_400)))
    }

    @Test func aKeptAuthorityIsReadBackAndItsKeyChecked() throws {
        let authority = try CertificateAuthority.create(commonName: "test CA", validity: Self.year, now: Self.now)
        let other = try CertificateAuthority.create(commonName: "other", validity: Self.year, now: Self.now)
        let reread = try CertificateAuthority(certificatePEM: authority.issued.certificatePEM,
                                              privateKeyPEM: authority.issued.privateKeyPEM, what: "ca.crt")
        let request = CertificateRequest(commonName: "n", ipAddresses: ["::1"], validity: Self.year)
        #expect(authority.stillFits(try reread.issue(request, now: Self.now).certificatePEM, request, now: Self.now, margin: .zero))

        #expect(throws: CertificateError.keyMismatch(what: "ca.crt")) {
            try CertificateAuthority(certificatePEM: authority.issued.certificatePEM,
                                     privateKeyPEM: other.issued.privateKeyPEM, what: "ca.crt")
        }
        #expect(throws: CertificateError.self) {
            try CertificateAuthority(certificatePEM: "garbage", privateKeyPEM: authority.issued.privateKeyPEM, what: "ca.crt")
        }
        #expect(throws: CertificateError.invalidAddress("pod-0")) {
            try authority.issue(CertificateRequest(commonName: "n", ipAddresses: ["pod-0"], validity: Self.year), now: Self.now)
        }
    }
}
