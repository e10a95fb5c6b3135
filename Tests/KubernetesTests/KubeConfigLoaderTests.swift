import Foundation
import Testing
@testable import Kubernetes

@Suite struct KubeConfigLoaderTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    var environment: [String: String] { isolatedEnvironment(home: directory.file("home")) }

    func resolve(_ kubeconfig: String, context: String? = nil) throws -> KubeContext {
        let path = try directory.write("config", kubeconfig)
        return try KubeConfigLoader.resolve(kubeconfigPath: path, contextName: context, environment: environment)
    }

    static let first = """
        clusters:
        - name: shared
          cluster: {server: "https://first.example.com:6443"}
        users:
        - name: alice
          user: {token: first-token}
        contexts:
        - name: both
          context: {cluster: shared, user: alice, namespace: from-first}
        """

    static let second = """
        clusters:
        - name: shared
          cluster: {server: "https://second.example.com:6443"}
        - name: only-second
          cluster: {server: "https://only-second.example.com"}
        users:
        - name: alice
          user: {token: second-token}
        - name: bob
          user: {token: bob-token}
        contexts:
        - name: both
          context: {cluster: only-second, user: bob, namespace: from-second}
        - name: second
          context: {cluster: shared, user: alice}
        current-context: second
        """

    @Test func kubeconfigListMergesFirstWinsAndTakesCurrentContextFromTheFirstThatSetsIt() throws {
        let first = try directory.write("a/config", Self.first)
        let second = try directory.write("b/config", Self.second)
        let missing = directory.file("missing/config")
        var environment = environment
        environment["KUBECONFIG"] = "\(first):\(missing)::\(second)"

        let context = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: environment)
        #expect(context.contextName == "second")
        // `shared` and `alice` are defined in both files: the first file's entries win.
        #expect(context.server.absoluteString == "https://first.example.com:6443")
        #expect(context.credentials == .token("first-token"))
        #expect(context.namespace == nil)
        #expect(context.source == "\(first):\(second)")
        #expect(!context.isInCluster)

        let both = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: "both", environment: environment)
        #expect(both.namespace == "from-first")
        #expect(both.server.absoluteString == "https://first.example.com:6443")
    }

    @Test func currentContextOfTheFirstFileWinsOverLaterFiles() throws {
        let first = try directory.write("a/config", Self.first + "\ncurrent-context: both\n")
        let second = try directory.write("b/config", Self.second)
        var environment = environment
        environment["KUBECONFIG"] = "\(first):\(second)"
        let context = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: environment)
        #expect(context.contextName == "both")
        #expect(context.namespace == "from-first")
    }

    @Test func contextOptionOverridesCurrentContext() throws {
        let second = try directory.write("b/config", Self.second)
        let context = try KubeConfigLoader.resolve(kubeconfigPath: second, contextName: "both", environment: environment)
        #expect(context.contextName == "both")
        #expect(context.server.absoluteString == "https://only-second.example.com")
        #expect(context.credentials == .token("bob-token"))
        #expect(context.namespace == "from-second")
    }

    @Test func kubeconfigOptionWinsOverTheEnvironmentVariable() throws {
        let first = try directory.write("a/config", Self.first)
        let second = try directory.write("b/config", Self.second)
        var environment = environment
        environment["KUBECONFIG"] = first
        let context = try KubeConfigLoader.resolve(kubeconfigPath: second, contextName: nil, environment: environment)
        #expect(context.server.absoluteString == "https://second.example.com:6443")
        #expect(context.source == second)
    }

    @Test func defaultsToTheHomeKubeconfig() throws {
        try directory.write("home/.kube/config", kubeconfig(namespace: "apps"))
        let context = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: environment)
        #expect(context.contextName == "main")
        #expect(context.namespace == "apps")
        #expect(context.source == directory.file("home/.kube/config"))
        #expect(context.credentials == .none)
    }

    @Test func bareHostPortServerIsHTTPS() throws {
        let context = try resolve(kubeconfig(server: "10.1.2.3:6443"))
        #expect(context.server.absoluteString == "https://10.1.2.3:6443")
    }

    @Test func plainHTTPServerIsAcceptedForLocalProxies() throws {
        let context = try resolve(kubeconfig(server: "http://127.0.0.1:8001"))
        #expect(context.server.scheme == "http")
    }

    @Test func relativeCertificateAuthorityPathResolvesAgainstTheKubeconfigDirectory() throws {
        try directory.write("kube/certs/ca.crt", TestPEM.certificate)
        let path = try directory.write("kube/config", kubeconfig(cluster: "    certificate-authority: certs/ca.crt"))
        // Resolved against the file, not the working directory.
        let context = try KubeConfigLoader.resolve(kubeconfigPath: path, contextName: nil, environment: environment)
        #expect(context.tls.caPEM == TestPEM.certificateBytes)
        #expect(context.tls.insecureSkipVerify == false)
    }

    @Test func certificateAuthorityData() throws {
        let context = try resolve(kubeconfig(cluster: "    certificate-authority-data: \(TestPEM.certificateBase64)"))
        #expect(context.tls.caPEM == TestPEM.certificateBytes)
        _ = try makeTLSConfiguration(context.tls)
    }

    @Test func insecureSkipVerifyAndServerName() throws {
        let context = try resolve(kubeconfig(cluster: """
                insecure-skip-tls-verify: true
                tls-server-name: kubernetes.default.svc
                proxy-url: http://proxy.example.com:3128
            """))
        #expect(context.tls.insecureSkipVerify)
        #expect(context.tls.serverName == "kubernetes.default.svc")
        #expect(context.tls.caPEM == nil)
    }

    @Test func bearerToken() async throws {
        let context = try resolve(kubeconfig(user: "    token: abc.def"))
        #expect(context.credentials == .token("abc.def"))
        let provider = KubeCredentialProvider(credentials: context.credentials, environment: environment, clusterServer: context.server)
        #expect(try await provider.authorizationHeader() == "Bearer abc.def")
        #expect(try await provider.execClientCertificate() == nil)
    }

    @Test func tokenFileIsReadAgainAfterRotation() async throws {
        try directory.write("kube/token", "first-token\n")
        let path = try directory.write("kube/config", kubeconfig(user: "    tokenFile: token"))
        let context = try KubeConfigLoader.resolve(kubeconfigPath: path, contextName: nil, environment: environment)
        #expect(context.credentials == .tokenFile(directory.file("kube/token")))
        let provider = KubeCredentialProvider(credentials: context.credentials, environment: environment, clusterServer: context.server)
        #expect(try await provider.authorizationHeader() == "Bearer first-token")
        try directory.write("kube/token", "rotated-token")
        #expect(try await provider.authorizationHeader() == "Bearer rotated-token")
    }

    @Test func clientCertificateData() throws {
        let context = try resolve(kubeconfig(user: """
                client-certificate-data: \(TestPEM.certificateBase64)
                client-key-data: \(TestPEM.keyBase64)
            """))
        #expect(context.credentials == .clientCertificate)
        #expect(context.tls.clientCertificatePEM == TestPEM.certificateBytes)
        #expect(context.tls.clientKeyPEM == TestPEM.keyBytes)
        let configuration = try makeTLSConfiguration(context.tls)
        #expect(configuration.certificateChain.count == 1)
        #expect(configuration.privateKey != nil)
    }

    @Test func clientCertificateFilesRelativeToTheKubeconfig() throws {
        try directory.write("kube/pki/client.crt", TestPEM.certificate)
        try directory.write("kube/pki/client.key", TestPEM.key)
        let path = try directory.write("kube/config", kubeconfig(user: """
                client-certificate: pki/client.crt
                client-key: \(directory.file("kube/pki/client.key"))
            """))
        let context = try KubeConfigLoader.resolve(kubeconfigPath: path, contextName: nil, environment: environment)
        #expect(context.tls.clientCertificatePEM == TestPEM.certificateBytes)
        #expect(context.tls.clientKeyPEM == TestPEM.keyBytes)
    }

    @Test func tokenTogetherWithClientCertificateKeepsBoth() throws {
        let context = try resolve(kubeconfig(user: """
                token: abc
                client-certificate-data: \(TestPEM.certificateBase64)
                client-key-data: \(TestPEM.keyBase64)
            """))
        #expect(context.credentials == .token("abc"))
        #expect(context.tls.clientCertificatePEM != nil)
    }

    @Test func basicAuth() async throws {
        let context = try resolve(kubeconfig(user: """
                username: admin
                password: "s3cret:x"
            """))
        #expect(context.credentials == .basic(username: "admin", password: "s3cret:x"))
        let provider = KubeCredentialProvider(credentials: context.credentials, environment: environment, clusterServer: context.server)
        #expect(try await provider.authorizationHeader() == "Basic " + Data("admin:s3cret:x".utf8).base64EncodedString())
        #expect(!context.credentials.description.contains("s3cret"))
    }

    @Test func inClusterServiceAccountWhenNoKubeconfigExists() async throws {
        let root = directory.file("serviceaccount")
        try directory.write("serviceaccount/token", "sa-token-1")
        try directory.write("serviceaccount/ca.crt", TestPEM.certificate)
        try directory.write("serviceaccount/namespace", "redis-system\n")
        let environment = isolatedEnvironment(
            home: directory.file("home"), ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        )
        let context = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: environment, inClusterRoot: root)
        #expect(context.isInCluster)
        #expect(context.contextName == "in-cluster")
        #expect(context.source == "in-cluster")
        #expect(context.server.absoluteString == "https://10.96.0.1:443")
        #expect(context.namespace == "redis-system")
        #expect(context.tls.caPEM == TestPEM.certificateBytes)

        let provider = KubeCredentialProvider(credentials: context.credentials, environment: environment, clusterServer: context.server)
        #expect(try await provider.authorizationHeader() == "Bearer sa-token-1")
        try directory.write("serviceaccount/token", "sa-token-2")
        #expect(try await provider.authorizationHeader() == "Bearer sa-token-2")
    }

    @Test func inClusterIPv6Host() throws {
        let root = directory.file("serviceaccount")
        try directory.write("serviceaccount/token", "t")
        try directory.write("serviceaccount/ca.crt", TestPEM.certificate)
        let environment = isolatedEnvironment(home: directory.file("home"), ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"])
        let context = try KubeConfigLoader.resolveInCluster(environment: environment, root: root)
        #expect(context.server.absoluteString == "https://[fd00::1]:6443")
        #expect(context.namespace == nil)
    }

    @Test func kubeconfigListOfMissingFilesFallsBackToInCluster() throws {
        let root = directory.file("serviceaccount")
        try directory.write("serviceaccount/token", "t")
        try directory.write("serviceaccount/ca.crt", TestPEM.certificate)
        let environment = isolatedEnvironment(home: directory.file("home"), [
            "KUBECONFIG": directory.file("nope"), "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443",
        ])
        let context = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: environment, inClusterRoot: root)
        #expect(context.isInCluster)
    }

    @Test func schemaRoundTripsWithKubectlFieldNames() throws {
        let file = try KubeConfigLoader.parse(yaml: kubeconfig(cluster: "    insecure-skip-tls-verify: true", user: """
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: aws
                  args: [eks, get-token]
                  env: [{name: AWS_PROFILE, value: prod}]
                  provideClusterInfo: true
                  interactiveMode: Never
            """), source: "test")
        #expect(file.clusters?.first?.cluster.insecureSkipTLSVerify == true)
        #expect(file.users?.first?.user.exec?.env == [KubeConfigFile.EnvVar(name: "AWS_PROFILE", value: "prod")])
        #expect(file.currentContext == "main")
        let encoded = try JSONEncoder().encode(file)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"current-context\":\"main\""))
        #expect(try JSONDecoder().decode(KubeConfigFile.self, from: encoded) == file)
    }
}
