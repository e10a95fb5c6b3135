import Foundation
import Yams

/// Finds and reads kubeconfig the way kubectl does and turns one context into a `KubeContext`.
///
/// Order: `--kubeconfig` (that file only, which must exist), else `$KUBECONFIG` (a `:`-separated
/// list, merged), else `~/.kube/config`, else the in-cluster service account.
public enum KubeConfigLoader {
    public static let defaultInClusterRoot = "/var/run/secrets/kubernetes.io/serviceaccount"
    public static let inClusterContextName = "in-cluster"

    public static func resolve(
        kubeconfigPath: String?, contextName: String?, environment: [String: String],
        inClusterRoot: String = defaultInClusterRoot
    ) throws -> KubeContext {
        let contextName = contextName.flatMap { $0.isEmpty ? nil : $0 }
        let files: [String]
        if let kubeconfigPath, !kubeconfigPath.isEmpty {
            guard FileManager.default.fileExists(atPath: kubeconfigPath) else {
                throw KubeConfigError(source: kubeconfigPath, reason: "kubeconfig file does not exist (from --kubeconfig)")
            }
            files = [kubeconfigPath]
        } else if let list = environment["KUBECONFIG"], !list.isEmpty {
            let listed = deduplicated(list.split(separator: ":").map(String.init).filter { !$0.isEmpty })
            // kubectl skips listed files that do not exist; only an all-missing list is a problem.
            files = listed.filter { FileManager.default.fileExists(atPath: $0) }
            if files.isEmpty {
                if contextName == nil, isInClusterConfigured(environment) {
                    return try resolveInCluster(environment: environment, root: inClusterRoot)
                }
                throw KubeConfigError(source: "$KUBECONFIG", reason: "none of its files exist: \(listed.joined(separator: ", "))")
            }
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            let path = (home as NSString).appendingPathComponent(".kube/config")
            if FileManager.default.fileExists(atPath: path) {
                files = [path]
            } else if contextName == nil, isInClusterConfigured(environment) {
                return try resolveInCluster(environment: environment, root: inClusterRoot)
            } else {
                throw KubeConfigError(
                    source: path,
                    reason: "no kubeconfig found (not this file, no $KUBECONFIG, no --kubeconfig) and not running inside a cluster (KUBERNETES_SERVICE_HOST is not set)"
                )
            }
        }
        let merged = try MergedKubeConfig(files: files.map { ($0, try load(path: $0)) })
        return try merged.context(named: contextName)
    }

    /// Reads one kubeconfig file; errors name the file and, for schema problems, the field path.
    public static func load(path: String) throws -> KubeConfigFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubeConfigError(source: path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KubeConfigError(source: path, reason: "not UTF-8 text")
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses kubeconfig YAML; `source` names it in errors.
    public static func parse(yaml: String, source: String) throws -> KubeConfigFile {
        // kubectl treats an empty file as an empty config.
        if yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return KubeConfigFile() }
        do {
            return try YAMLDecoder().decode(KubeConfigFile.self, from: yaml)
        } catch let error as YamlError {
            throw KubeConfigError(source: source, reason: "not valid YAML: \(oneLine("\(error)"))")
        } catch let error as DecodingError {
            // Yams reports syntax errors as corrupted data wrapping its own error.
            if case .dataCorrupted(let context) = error, let yamlError = context.underlyingError as? YamlError {
                throw KubeConfigError(source: source, reason: "not valid YAML: \(oneLine("\(yamlError)"))")
            }
            throw KubeConfigError(source: source, entry: decodingPath(error), reason: decodingReason(error))
        }
    }

    /// The service account Kubernetes mounts into every pod, used when there is no kubeconfig.
    public static func resolveInCluster(environment: [String: String], root: String = defaultInClusterRoot) throws -> KubeContext {
        let source = inClusterContextName
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError(source: source, reason: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw KubeConfigError(source: source, reason: "KUBERNETES_SERVICE_PORT '\(port)' is not a port number")
        }
        let urlHost = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(urlHost):\(portNumber)"), server.host != nil else {
            throw KubeConfigError(source: source, reason: "KUBERNETES_SERVICE_HOST '\(host)' is not a host name or address")
        }
        let tokenPath = (root as NSString).appendingPathComponent("token")
        let token = try readFile(tokenPath, source: source, entry: "service account", field: "token")
        if String(decoding: token, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw KubeConfigError(source: source, entry: "service account", reason: "token file \(tokenPath) is empty")
        }
        let caPath = (root as NSString).appendingPathComponent("ca.crt")
        let ca = try readFile(caPath, source: source, entry: "service account", field: "ca.crt")
        let namespacePath = (root as NSString).appendingPathComponent("namespace")
        var namespace: String?
        if FileManager.default.fileExists(atPath: namespacePath) {
            let bytes = try readFile(namespacePath, source: source, entry: "service account", field: "namespace")
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            namespace = text.isEmpty ? nil : text
        }
        let tls = KubeTLSSettings(caPEM: ca, caOrigin: "\(source): \(caPath)")
        _ = try makeTLSConfiguration(tls)
        return KubeContext(
            contextName: inClusterContextName, server: server, namespace: namespace, tls: tls,
            credentials: .tokenFile(tokenPath), source: source, isInCluster: true
        )
    }

    static func isInClusterConfigured(_ environment: [String: String]) -> Bool {
        !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty && !(environment["KUBERNETES_SERVICE_PORT"] ?? "").isEmpty
    }

    private static func deduplicated(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    static func readFile(_ path: String, source: String, entry: String?, field: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw KubeConfigError(source: source, entry: entry, reason: "\(field) file \(path) does not exist")
        }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw KubeConfigError(source: source, entry: entry, reason: "cannot read \(field) file \(path) (\(error.localizedDescription))")
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    private static func decodingPath(_ error: DecodingError) -> String? {
        let (path, last): ([any CodingKey], String?) = switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): (context.codingPath, nil)
        case .keyNotFound(let key, let context): (context.codingPath, key.stringValue)
        @unknown default: ([], nil)
        }
        var parts = path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
        if let last { parts.append(last) }
        let joined = parts.reduce("") { result, part in
            part.hasPrefix("[") || result.isEmpty ? result + part : result + "." + part
        }
        return joined.isEmpty ? nil : joined
    }

    private static func decodingReason(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): "expected \(typeName(type))"
        case .valueNotFound(let type, _): "expected \(typeName(type)), found null"
        case .keyNotFound: "required field is missing"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        // Yams asks for a scalar node before converting it to the field's type.
        case _ where "\(type)".hasSuffix("Scalar"): "a single value, not a list or mapping"
        default: "\(type)".hasPrefix("Array") ? "a list" : "a mapping"
        }
    }
}
