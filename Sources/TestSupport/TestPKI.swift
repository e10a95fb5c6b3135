/// A test certificate authority and what it signed, valid until 2126, as PEM. Generated once with
/// openssl (EC P-256): `ca` signs `server` (CN and SAN 127.0.0.1, SAN localhost) and `localhostOnly`; `otherCA` and
/// `otherKey` belong to nothing here (an untrusted authority, a key that matches no certificate).
public enum TestPKI {
    public static let caCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBnjCCAUOgAwIBAgIUHFiH/pSqnZjK8m27bY4dTS4jOs0wCgYIKoZIzj0EAwIw
        GzEZMBcGA1UEAwwQcmVkaXNjdGwtdGVzdC1jYTAgFw0yNjEyMDMxMjU1NDVaGA8y
        MTI2MTEwOTEyNTU0NVowGzEZMBcGA1UEAwwQcmVkaXNjdGwtdGVzdC1jYTBZMBMG
        ByqGSM49AgEGCCqGSM49AwEHA0IABOcjx5QD21Kf6ELij3fUZgHnnar58mQz7S1c
        atMkOadbpbI8qI9D/GNDDM5gPZ4B3fUF08Kf/OxsfTtPkoqfzSSjYzBhMB0GA1Ud
        DgQWBBQuic9Jpkm6HhvFu91yauMZdbmOkTAfBgNVHSMEGDAWgBQuic9Jpkm6HhvF
        u91yauMZdbmOkTAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggq
        hkjOPQQDAgNJADBGAiEAvDyoGH2cTfpUEhlq9EpBU9HrvjvSli0K+T9D/49eQewC
        IQCFfyHF1/9eHDaHJEuVZIRRl4wvFffjlXMt9ZZN9gYKaA==
        -----END CERTIFICATE-----
        """

    public static let serverCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBxDCCAWmgAwIBAgIUI9tL7feocVyQg8GQSGFVWk+ngJMwCgYIKoZIzj0EAwIw
        GzEZMBcGA1UEAwwQcmVkaXNjdGwtdGVzdC1jYTAgFw0yNjEyMDMxMjU1NDZaGA8y
        MTI2MTEwOTEyNTU0NlowFDESMBAGA1UEAwwJMTI3LjAuMC4xMFkwEwYHKoZIzj0C
        AQYIKoZIzj0DAQcDQgAEWSXtB4Q8iEvz8XUhmIPm7o7vo9AiztI7z1oPDIQCefgk
        RaBngMkInUw/2McS0acd36TXyGBvXeXxQzkccxbV+KOBjzCBjDAaBgNVHREEEzAR
        hwR/AAABgglsb2NhbGhvc3QwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYD
        VR0lBAwwCgYIKwYBBQUHAwEwHQYDVR0OBBYEFLiooDsaNZcylWoyfI6MgxWvS8ZP
        MB8GA1UdIwQYMBaAFC6Jz0mmSboeG8W73XJq4xl1uY6RMAoGCCqGSM49BAMCA0kA
        MEYCIQCvsBKituuu9wyWXWvB93IMMCDUiNwkirxZhICoUDz5rwIhAPwdHvpRNQ8d
        ldy/qQGD1fkUsSfpJa/h93theg8Wqw9e
        -----END CERTIFICATE-----
        """

    /// The same key as `serverCertificate`, for the name localhost only (no IP address).
    public static let localhostOnlyCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBvTCCAWOgAwIBAgIUI9tL7feocVyQg8GQSGFVWk+ngJQwCgYIKoZIzj0EAwIw
        GzEZMBcGA1UEAwwQcmVkaXNjdGwtdGVzdC1jYTAgFw0yNjEyMDMxMzAyNDRaGA8y
        MTI2MTEwOTEzMDI0NFowFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0C
        AQYIKoZIzj0DAQcDQgAEWSXtB4Q8iEvz8XUhmIPm7o7vo9AiztI7z1oPDIQCefgk
        RaBngMkInUw/2McS0acd36TXyGBvXeXxQzkccxbV+KOBiTCBhjAUBgNVHREEDTAL
        gglsb2NhbGhvc3QwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAww
        CgYIKwYBBQUHAwEwHQYDVR0OBBYEFLiooDsaNZcylWoyfI6MgxWvS8ZPMB8GA1Ud
        IwQYMBaAFC6Jz0mmSboeG8W73XJq4xl1uY6RMAoGCCqGSM49BAMCA0gAMEUCICWq
        7SSsRyFgYrbThxHQMzXG6u/QYcDR+aqa5T5BeRTCAiEA8cFtFtt9+rDCkahFwMjr
        uiMoB5iAc1CzHzpwSI4GA08=
        -----END CERTIFICATE-----
        """

    public static let serverKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsDiP9YEBP3uW/fsD
        vElIE3Jxuckn9CG9KqMacXe8Hi+hRANCAARZJe0HhDyIS/PxdSGYg+buju+j0CLO
        0jvPWg8MhAJ5+CRFoGeAyQidTD/YxxLRpx3fpNfIYG9d5fFDORxzFtX4
        -----END PRIVATE KEY-----
        """

    public static let otherCACertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBgjCCASegAwIBAgIUMQq+K09u65MJZo/5Um5tzq12n10wCgYIKoZIzj0EAwIw
        FTETMBEGA1UEAwwKYW5vdGhlci1jYTAgFw0yNjEyMDMxMjU1NDZaGA8yMTI2MTEw
        OTEyNTU0NlowFTETMBEGA1UEAwwKYW5vdGhlci1jYTBZMBMGByqGSM49AgEGCCqG
        SM49AwEHA0IABJp+ISrFgNrw6199G+Y/WtXHMRup4Gg678yqd7fIEOGxVPZCESnw
        SkW6SXCgCZ89+4Qe6gQPqIV8ns1InQbchWujUzBRMB0GA1UdDgQWBBRrItaIrX/W
        xMVBY8n0bht/L7fdTjAfBgNVHSMEGDAWgBRrItaIrX/WxMVBY8n0bht/L7fdTjAP
        BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDJ10FXMKzPxFZ6z1oK
        5O1+2jvETuWwRMyi/LUBKOB0ZAIhALnujAPukf6hmkrqOo1U2ubNZflcYiaAJcim
        Jjk8fsJa
        -----END CERTIFICATE-----
        """

    public static let otherKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrDSzpBh71lrvvlDY
        S/FHz5r0TG7p0blWmPxXpW3xwwChRANCAASafiEqxYDa8OtffRvmP1rVxzEbqeBo
        Ou/Mqne3yBDhsVT2QhEp8EpFuklwoAmfPfuEHuoED6iFfJ7NSJ0G3IVr
        -----END PRIVATE KEY-----
        """
}
