import Foundation

/// Several kubeconfig files merged as kubectl merges `$KUBECONFIG`: the first file to define a
/// cluster, user or context name wins, and `current-context` comes from the first file that sets it.
/// Each entry remembers its file, because relative paths resolve against that file's directory.
struct MergedKubeConfig {
    struct Entry<Value> {
        var value: Value
        var file: String
    }

    var clusters: [String: Entry<KubeConfigFile.Cluster>] = [:]
    var users: [String: Entry<KubeConfigFile.User>] = [:]
    var contexts: [String: Entry<KubeConfigFile.Context>] = [:]
    var currentContext: String?
    var files: [String]

    init(files loaded: [(path: String, config: KubeConfigFile)]) throws {
        files = loaded.map(\.path)
        for (path, config) in loaded {
            for named in config.clusters ?? [] where clusters[named.name] == nil {
                clusters[named.name] = Entry(value: named.cluster, file: path)
            }
            for named in config.users ?? [] where users[named.name] == nil {
                users[named.name] = Entry(value: named.user, file: path)
            }
            for named in config.contexts ?? [] where contexts[named.name] == nil {
                contexts[named.name] = Entry(value: named.context, file: path)
            }
            if currentContext == nil, let current = config.currentContext, !current.isEmpty {
                currentContext = current
            }
        }
    }

    var source: String { files.joined(separator: ":") }

    func context(named requested: String?) throws -> KubeContext {
        guard let name = requested ?? currentContext else {
            throw KubeConfigError(source: source, reason: "no current-context is set; pass --context (\(available(contexts.keys)))")
        }
        guard let context = contexts[name] else {
            let how = requested == nil ? "current-context" : "--context"
            throw KubeConfigError(source: source, entry: "context '\(name)'", reason: "not found (named by \(how); \(available(contexts.keys)))")
        }
        let contextEntry = "context '\(name)'"
        guard let clusterName = context.value.cluster, !clusterName.isEmpty else {
            throw KubeConfigError(source: context.file, entry: contextEntry, reason: "names no cluster")
        }
        guard let cluster = clusters[clusterName] else {
            throw KubeConfigError(source: context.file, entry: contextEntry, reason: "cluster '\(clusterName)' not found (\(available(clusters.keys, noun: "clusters")))")
        }
        var user: Entry<KubeConfigFile.User>?
        if let userName = context.value.user, !userName.isEmpty {
            guard let found = users[userName] else {
                throw KubeConfigError(source: context.file, entry: contextEntry, reason: "user '\(userName)' not found (\(available(users.keys, noun: "users")))")
            }
            user = found
        }

        let resolvedCluster = try ResolvedCluster(cluster.value, name: clusterName, file: cluster.file)
        var tls = resolvedCluster.tls
        var credentials = KubeCredentials.none
        if let user, let userName = context.value.user {
            let resolvedUser = try ResolvedUser(user.value, name: userName, file: user.file, cluster: resolvedCluster)
            tls.clientCertificatePEM = resolvedUser.certificatePEM
            tls.clientKeyPEM = resolvedUser.keyPEM
            tls.clientCertificateOrigin = resolvedUser.certificatePEM == nil ? nil : "\(user.file): user '\(userName)'"
            credentials = resolvedUser.credentials
        }
        // PEM that is valid base64 but not a certificate or key fails here, named by its entry.
        _ = try makeTLSConfiguration(tls)

        let namespace = context.value.namespace.flatMap { $0.isEmpty ? nil : $0 }
        return KubeContext(
            contextName: name, server: resolvedCluster.server, namespace: namespace, tls: tls,
            credentials: credentials, source: source, isInCluster: false
        )
    }

    private func available(_ names: Dictionary<String, some Any>.Keys, noun: String = "contexts") -> String {
        names.isEmpty ? "the config has no \(noun)" : "\(noun): \(names.sorted().joined(separator: ", "))"
    }
}

/// Resolves `path` against the directory of the kubeconfig `file`, as kubectl does.
func resolvePath(_ path: String, relativeTo file: String) -> String {
    if path.hasPrefix("/") { return path }
    let fileURL = URL(fileURLWithPath: file)
    return fileURL.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL.path
}

/// Decodes a kubeconfig `*-data` field: standard base64, line breaks tolerated.
func decodeBase64(_ text: String, field: String, source: String, entry: String) throws -> [UInt8] {
    let compact = text.filter { !$0.isWhitespace }
    guard let data = Data(base64Encoded: compact), !data.isEmpty else {
        throw KubeConfigError(source: source, entry: entry, reason: "\(field) is not valid base64")
    }
    return Array(data)
}

struct ResolvedCluster {
    var server: URL
    var tls: KubeTLSSettings
    var execInfo: ExecClusterInfo

    init(_ cluster: KubeConfigFile.Cluster, name: String, file: String) throws {
        let entry = "cluster '\(name)'"
        server = try Self.parseServer(cluster.server, file: file, entry: entry)
        if cluster.certificateAuthority?.isEmpty == false, cluster.certificateAuthorityData?.isEmpty == false {
            throw KubeConfigError(source: file, entry: entry, reason: "certificate-authority and certificate-authority-data are both set; keep one")
        }
        var caPEM: [UInt8]?
        if let data = cluster.certificateAuthorityData, !data.isEmpty {
            caPEM = try decodeBase64(data, field: "certificate-authority-data", source: file, entry: entry)
        } else if let path = cluster.certificateAuthority, !path.isEmpty {
            caPEM = try KubeConfigLoader.readFile(resolvePath(path, relativeTo: file), source: file, entry: entry, field: "certificate-authority")
        }
        let insecure = cluster.insecureSkipTLSVerify ?? false
        if insecure, caPEM != nil {
            // kubectl refuses this too: a CA that is never checked is a misconfiguration.
            throw KubeConfigError(source: file, entry: entry, reason: "insecure-skip-tls-verify cannot be combined with a certificate authority")
        }
        if insecure, server.scheme == "http" {
            throw KubeConfigError(source: file, entry: entry, reason: "insecure-skip-tls-verify is set but the server is plain http")
        }
        let serverName = cluster.tlsServerName.flatMap { $0.isEmpty ? nil : $0 }
        tls = KubeTLSSettings(caPEM: caPEM, insecureSkipVerify: insecure, serverName: serverName, caOrigin: caPEM == nil ? nil : "\(file): \(entry)")
        execInfo = ExecClusterInfo(
            server: server.absoluteString, tlsServerName: serverName, insecureSkipTLSVerify: insecure ? true : nil,
            certificateAuthorityData: caPEM.map { Data($0).base64EncodedString() }
        )
    }

    static func parseServer(_ text: String?, file: String, entry: String) throws -> URL {
        guard var text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            throw KubeConfigError(source: file, entry: entry, reason: "server is missing")
        }
        // kubectl reads a bare `host:port` as https.
        if !text.contains("://") { text = "https://" + text }
        guard let components = URLComponents(string: text) else {
            throw KubeConfigError(source: file, entry: entry, reason: "server '\(text)' is not a URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw KubeConfigError(source: file, entry: entry, reason: "server '\(text)' must be an https:// (or http://) URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw KubeConfigError(source: file, entry: entry, reason: "server '\(text)' has no host")
        }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text) else {
            throw KubeConfigError(source: file, entry: entry, reason: "server '\(text)' is not a URL")
        }
        return url
    }
}

struct ResolvedUser {
    var credentials: KubeCredentials = .none
    var certificatePEM: [UInt8]?
    var keyPEM: [UInt8]?

    init(_ user: KubeConfigFile.User, name: String, file: String, cluster: ResolvedCluster) throws {
        let entry = "user '\(name)'"
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }

        certificatePEM = try Self.material(data: nonEmpty(user.clientCertificateData), path: nonEmpty(user.clientCertificate),
                                           field: "client-certificate", file: file, entry: entry)
        keyPEM = try Self.material(data: nonEmpty(user.clientKeyData), path: nonEmpty(user.clientKey),
                                   field: "client-key", file: file, entry: entry)
        if (certificatePEM == nil) != (keyPEM == nil) {
            let missing = certificatePEM == nil ? "client-certificate" : "client-key"
            throw KubeConfigError(source: file, entry: entry, reason: "\(missing) is missing; a client certificate needs both certificate and key")
        }

        let token = nonEmpty(user.token)
        let tokenFile = nonEmpty(user.tokenFile)
        let username = nonEmpty(user.username)
        if (token != nil || tokenFile != nil), username != nil {
            throw KubeConfigError(source: file, entry: entry, reason: "set either a token or username/password, not both")
        }
        if username == nil, nonEmpty(user.password) != nil {
            throw KubeConfigError(source: file, entry: entry, reason: "password is set without a username")
        }

        if let exec = user.exec {
            credentials = .exec(try Self.execConfig(exec, file: file, entry: entry, cluster: cluster))
        } else if let token {
            // A token wins over tokenFile, as in kubectl.
            credentials = .token(token)
        } else if let tokenFile {
            let path = resolvePath(tokenFile, relativeTo: file)
            _ = try KubeConfigLoader.readFile(path, source: file, entry: entry, field: "tokenFile")
            credentials = .tokenFile(path)
        } else if let username {
            credentials = .basic(username: username, password: user.password ?? "")
        } else if certificatePEM != nil {
            credentials = .clientCertificate
        }
    }

    private static func material(data: String?, path: String?, field: String, file: String, entry: String) throws -> [UInt8]? {
        if data != nil, path != nil {
            throw KubeConfigError(source: file, entry: entry, reason: "\(field) and \(field)-data are both set; keep one")
        }
        if let data { return try decodeBase64(data, field: "\(field)-data", source: file, entry: entry) }
        if let path { return try KubeConfigLoader.readFile(resolvePath(path, relativeTo: file), source: file, entry: entry, field: field) }
        return nil
    }

    private static func execConfig(_ exec: KubeConfigFile.Exec, file: String, entry: String, cluster: ResolvedCluster) throws -> ExecConfig {
        guard let apiVersion = exec.apiVersion, !apiVersion.isEmpty else {
            throw KubeConfigError(source: file, entry: entry, reason: "exec.apiVersion is missing (use \(ExecConfig.supportedAPIVersions.joined(separator: " or ")))")
        }
        guard ExecConfig.supportedAPIVersions.contains(apiVersion) else {
            throw KubeConfigError(source: file, entry: entry, reason: "exec.apiVersion '\(apiVersion)' is not supported (use \(ExecConfig.supportedAPIVersions.joined(separator: " or ")))")
        }
        guard var command = exec.command, !command.isEmpty else {
            throw KubeConfigError(source: file, entry: entry, reason: "exec.command is missing")
        }
        // kubectl resolves a command with a slash against the kubeconfig's directory; bare names go through PATH.
        if command.contains("/") { command = resolvePath(command, relativeTo: file) }
        let modes = ["Never", "IfAvailable", "Always"]
        if let mode = exec.interactiveMode, !modes.contains(mode) {
            throw KubeConfigError(source: file, entry: entry, reason: "exec.interactiveMode '\(mode)' is not one of \(modes.joined(separator: ", "))")
        }
        let provide = exec.provideClusterInfo ?? false
        return ExecConfig(
            apiVersion: apiVersion, command: command, args: exec.args ?? [], env: exec.env ?? [],
            installHint: exec.installHint.flatMap { $0.isEmpty ? nil : $0 }, provideClusterInfo: provide,
            interactiveMode: exec.interactiveMode, cluster: provide ? cluster.execInfo : nil,
            origin: "\(file): \(entry)"
        )
    }
}
