import Foundation
import Testing
@testable import Kubernetes

/// Every malformed kubeconfig fails with a message naming the file and the entry.
@Suite struct KubeConfigErrorTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    var environment: [String: String] { isolatedEnvironment(home: directory.file("home")) }

    /// Writes `text` as a kubeconfig, resolves it and returns the error message.
    func failure(_ text: String, context: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (path: String, message: String) {
        let path = try directory.write("config", text)
        let message = await kubeConfigErrorMessage(sourceLocation: sourceLocation) {
            _ = try KubeConfigLoader.resolve(kubeconfigPath: path, contextName: context, environment: environment)
        }
        return (path, message)
    }

    @Test func missingContext() async throws {
        let (path, message) = try await failure(kubeconfig(), context: "staging")
        #expect(message == "\(path): context 'staging': not found (named by --context; contexts: main)")
    }

    @Test func currentContextNamingNothing() async throws {
        let (path, message) = try await failure(kubeconfig().replacingOccurrences(of: "current-context: main", with: "current-context: gone"))
        #expect(message.hasPrefix("\(path): context 'gone': not found (named by current-context"))
    }

    @Test func noCurrentContext() async throws {
        let (path, message) = try await failure(kubeconfig().replacingOccurrences(of: "current-context: main", with: ""))
        #expect(message == "\(path): no current-context is set; pass --context (contexts: main)")
    }

    @Test func contextNamingAMissingCluster() async throws {
        let (path, message) = try await failure(kubeconfig().replacingOccurrences(of: "cluster: main", with: "cluster: prod"))
        #expect(message == "\(path): context 'main': cluster 'prod' not found (clusters: main)")
    }

    @Test func contextNamingAMissingUser() async throws {
        let (path, message) = try await failure(kubeconfig().replacingOccurrences(of: "user: admin", with: "user: root"))
        #expect(message == "\(path): context 'main': user 'root' not found (users: admin)")
    }

    @Test func badBase64() async throws {
        let (path, message) = try await failure(kubeconfig(user: """
                client-certificate-data: \(TestPEM.certificateBase64)
                client-key-data: "not base64!"
            """))
        #expect(message == "\(path): user 'admin': client-key-data is not valid base64")
        let (_, caMessage) = try await failure(kubeconfig(cluster: "    certificate-authority-data: '%%%'"))
        #expect(caMessage == "\(path): cluster 'main': certificate-authority-data is not valid base64")
    }

    @Test func base64ThatIsNotPEM() async throws {
        let garbage = Data("hello, not a certificate".utf8).base64EncodedString()
        let (path, message) = try await failure(kubeconfig(cluster: "    certificate-authority-data: \(garbage)"))
        #expect(message.hasPrefix("\(path): cluster 'main': certificate authority is not a valid PEM certificate"))
    }

    @Test func missingKubeconfigFile() async throws {
        let path = directory.file("nowhere/config")
        let message = await kubeConfigErrorMessage {
            _ = try KubeConfigLoader.resolve(kubeconfigPath: path, contextName: nil, environment: environment)
        }
        #expect(message == "\(path): kubeconfig file does not exist (from --kubeconfig)")
    }

    @Test func missingReferencedFiles() async throws {
        let (path, message) = try await failure(kubeconfig(cluster: "    certificate-authority: ca.crt"))
        #expect(message == "\(path): cluster 'main': certificate-authority file \(directory.file("ca.crt")) does not exist")
        let (_, tokenMessage) = try await failure(kubeconfig(user: "    tokenFile: /nonexistent/token"))
        #expect(tokenMessage == "\(path): user 'admin': tokenFile file /nonexistent/token does not exist")
    }

    @Test func nothingConfiguredAnywhere() async throws {
        let message = await kubeConfigErrorMessage {
            _ = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: environment, inClusterRoot: directory.file("sa"))
        }
        #expect(message.contains(directory.file("home/.kube/config")))
        #expect(message.contains("KUBERNETES_SERVICE_HOST"))
    }

    @Test func inClusterWithoutToken() async throws {
        let environment = isolatedEnvironment(home: directory.file("home"), ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"])
        let message = await kubeConfigErrorMessage {
            _ = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: nil, environment: environment, inClusterRoot: directory.file("sa"))
        }
        #expect(message == "in-cluster: service account: token file \(directory.file("sa/token")) does not exist")
    }

    @Test(arguments: [
        ("", "server is missing"),
        ("ftp://k8s.example.com", "server 'ftp://k8s.example.com' must be an https:// (or http://) URL"),
        ("https://", "server 'https://' has no host"),
    ])
    func badServer(server: String, reason: String) async throws {
        let (path, message) = try await failure(kubeconfig(server: server))
        #expect(message == "\(path): cluster 'main': \(reason)")
    }

    @Test func yamlSyntaxError() async throws {
        let (path, message) = try await failure("clusters:\n- name: [unclosed\n")
        #expect(message.hasPrefix("\(path): not valid YAML"))
        #expect(message.contains("line 2"))
        #expect(!message.contains("\n"))
    }

    @Test func wrongTypeNamesTheField() async throws {
        let (path, message) = try await failure(kubeconfig(cluster: "    insecure-skip-tls-verify: [yes]"))
        #expect(message == "\(path): clusters[0].cluster.insecure-skip-tls-verify: expected a single value, not a list or mapping")
    }

    @Test func unsupportedExecAPIVersionInConfig() async throws {
        let (path, message) = try await failure(kubeconfig(user: """
                exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: get-token}
            """))
        #expect(message.hasPrefix("\(path): user 'admin': exec.apiVersion 'client.authentication.k8s.io/v1alpha1' is not supported"))
    }

    @Test func certificateWithoutKey() async throws {
        let (path, message) = try await failure(kubeconfig(user: "    client-certificate-data: \(TestPEM.certificateBase64)"))
        #expect(message == "\(path): user 'admin': client-key is missing; a client certificate needs both certificate and key")
    }

    @Test func tokenAndBasicAuthTogether() async throws {
        let (path, message) = try await failure(kubeconfig(user: """
                token: abc
                username: admin
                password: pw
            """))
        #expect(message == "\(path): user 'admin': set either a token or username/password, not both")
    }

    @Test func insecureWithCertificateAuthority() async throws {
        let (path, message) = try await failure(kubeconfig(cluster: """
                insecure-skip-tls-verify: true
                certificate-authority-data: \(TestPEM.certificateBase64)
            """))
        #expect(message == "\(path): cluster 'main': insecure-skip-tls-verify cannot be combined with a certificate authority")
    }

    @Test func entryInTheSecondFileIsNamedByThatFile() async throws {
        let first = try directory.write("a", kubeconfig())
        let second = try directory.write("b", """
            users:
            - name: other
              user: {client-key-data: "!!", client-certificate-data: "\(TestPEM.certificateBase64)"}
            contexts:
            - name: other
              context: {cluster: main, user: other}
            """)
        var environment = environment
        environment["KUBECONFIG"] = "\(first):\(second)"
        let message = await kubeConfigErrorMessage {
            _ = try KubeConfigLoader.resolve(kubeconfigPath: nil, contextName: "other", environment: environment)
        }
        #expect(message == "\(second): user 'other': client-key-data is not valid base64")
    }
}
