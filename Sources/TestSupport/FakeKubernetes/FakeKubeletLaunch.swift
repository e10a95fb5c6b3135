import Foundation

/// How one pod's redis container becomes a local `redis-server` command line: what the image and
/// the kubelet would provide (env, mounted ConfigMaps, the data volume), mapped onto a temp dir.
struct FakeKubeletLaunch {
    /// redis-server's arguments, or the start script's path and its arguments when `shell`: the
    /// kubelet's own (`--bind`, `--dir`, ...) come last, as the script's "$@" that it hands on.
    var arguments: [String]
    /// The container runs `sh SCRIPT`, which ends by exec'ing redis-server.
    var shell = false
    /// The container's env, given to a start script (redis-server itself gets the test's own).
    var environment: [String: String] = [:]
    /// Files to write before starting: mounted ConfigMap keys, at their local paths.
    var files: [(path: URL, contents: String)]
    var directories: [URL]
    var password: String?
    /// The CA the pod's redis.conf trusts when it serves TLS (`tls-port`), at its local path: the
    /// readiness probe speaks TLS with it, as the pod's probe script does.
    var tlsCACertificate: String? = nil
    /// Files of ConfigMap and Secret volumes mounted whole (no `subPath`): the kubelet brings these
    /// up to date when their object changes, a `subPath` mount never.
    var refreshedFiles: Set<URL> = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Everything the launch needs to know about the pod being started.
    struct Pod {
        var namespace: String
        var name: String
        var uid: String
        var podIP: String
        var nodeName: String
        var template: JSONValue
        var claimTemplates: Set<String>
        var podDirectory: URL
        var claimDirectory: (String) -> URL
    }

    /// The container that runs redis-server: named "redis", else the first whose command or args
    /// mention redis-server, else the first.
    static func redisContainer(in template: JSONValue) -> JSONValue? {
        let containers = template["spec"]["containers"].array ?? []
        return containers.first { $0["name"].string == "redis" }
            ?? containers.first { container in
                ((container["command"].array ?? []) + (container["args"].array ?? [])).contains { $0.string?.contains("redis-server") == true }
            }
            ?? containers.first
    }

    static func make(_ pod: Pod, lookup: (FakeResourceType, String) -> JSONValue?) throws -> FakeKubeletLaunch {
        guard let container = redisContainer(in: pod.template) else {
            throw Failure(description: "the pod template has no containers")
        }
        let command = (container["command"].array ?? []).compactMap(\.string)
        // redis-server itself, or a start script (`sh SCRIPT`) that ends by exec'ing it.
        var shell = false
        if let program = command.first {
            switch URL(fileURLWithPath: program).lastPathComponent {
            case "redis-server": break
            case "sh" where command.count >= 2 && !command[1].hasPrefix("-"): shell = true
            default:
                throw Failure(description: "container \(container["name"].string ?? "") runs \(command.joined(separator: " ")), not redis-server or a start script")
            }
        }

        // Volumes: container paths mapped to local ones, longest first so nested mounts win.
        var mappings: [(container: String, local: String)] = []
        var files: [(path: URL, contents: String)] = []
        var directories = [pod.podDirectory]
        var refreshed: Set<URL> = []
        let volumes = pod.template["spec"]["volumes"].array ?? []
        for mount in container["volumeMounts"].array ?? [] {
            guard let volumeName = mount["name"].string, let mountPath = mount["mountPath"].string else { continue }
            let subPath = mount["subPath"].string.flatMap { $0.isEmpty ? nil : $0 }
            let volume = volumes.first { $0["name"].string == volumeName } ?? .null
            if pod.claimTemplates.contains(volumeName) {
                let directory = pod.claimDirectory(volumeName)
                directories.append(directory)
                mappings.append((mountPath, subPath.map { directory.appendingPathComponent($0).path } ?? directory.path))
            } else if let configMapName = volume["configMap"]["name"].string {
                let data = lookup(FakeKubeletKinds.configMaps, configMapName)?["data"].object?.compactMapValues(\.string)
                guard let data else {
                    if volume["configMap"]["optional"].bool == true { continue }
                    throw Failure(description: "configmap \"\(configMapName)\" not found")
                }
                let directory = pod.podDirectory.appendingPathComponent("configmaps/\(volumeName)")
                directories.append(directory)
                for (key, value) in data where !key.contains("/") && key != ".." && key != "." {
                    files.append((directory.appendingPathComponent(key), value))
                    if subPath == nil { refreshed.insert(directory.appendingPathComponent(key)) }
                }
                mappings.append((mountPath, subPath.map { directory.appendingPathComponent($0).path } ?? directory.path))
            } else if let secretName = volume["secret"]["secretName"].string {
                // As the kubelet does: every key of the Secret (or of `items`) a file in the mount.
                guard let secret = lookup(FakeKubeletKinds.secrets, secretName) else {
                    if volume["secret"]["optional"].bool == true { continue }
                    throw Failure(description: "secret \"\(secretName)\" not found")
                }
                var values: [String: String] = secret["stringData"].object?.compactMapValues(\.string) ?? [:]
                for (key, encoded) in secret["data"].object ?? [:] {
                    if let text = encoded.string, let data = Data(base64Encoded: text), let value = String(data: data, encoding: .utf8) {
                        values[key] = value
                    }
                }
                let items = (volume["secret"]["items"].array ?? []).compactMap { item -> (String, String)? in
                    guard let key = item["key"].string, let path = item["path"].string else { return nil }
                    return (key, path)
                }
                let directory = pod.podDirectory.appendingPathComponent("secrets/\(volumeName)")
                directories.append(directory)
                for (key, path) in items.isEmpty ? values.keys.map({ ($0, $0) }) : items {
                    guard let value = values[key] else {
                        if volume["secret"]["optional"].bool == true { continue }
                        throw Failure(description: "secret \"\(secretName)\" has no key \"\(key)\"")
                    }
                    guard !path.contains("/"), path != "..", path != "." else { continue }
                    files.append((directory.appendingPathComponent(path), value))
                    if subPath == nil { refreshed.insert(directory.appendingPathComponent(path)) }
                }
                mappings.append((mountPath, subPath.map { directory.appendingPathComponent($0).path } ?? directory.path))
            } else {
                // emptyDir and anything else a local process can use as a plain directory.
                let directory = pod.podDirectory.appendingPathComponent("volumes/\(volumeName)")
                directories.append(directory)
                mappings.append((mountPath, subPath.map { directory.appendingPathComponent($0).path } ?? directory.path))
            }
        }
        mappings.sort { $0.container.count > $1.container.count }

        let environment = try environment(of: container, pod: pod, lookup: lookup)
        var arguments = (command.dropFirst() + (container["args"].array ?? []).compactMap(\.string)).map {
            rewritePath(expand($0, with: environment), mappings)
        }
        // The ConfigMap's redis.conf refers to container paths (dir /data, cluster-config-file
        // /data/nodes.conf): rewrite them to the local volumes.
        files = files.map { file in
            let lines = file.contents.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let text = String(line)
                if text.trimmingCharacters(in: .whitespaces).hasPrefix("#") { return text }
                return text.split(separator: " ", omittingEmptySubsequences: false).map { rewritePath(String($0), mappings) }.joined(separator: " ")
            }
            return (path: file.path, contents: lines.joined(separator: "\n"))
        }
        // What the image and this machine provide; later arguments override the config file.
        let dataDirectory = mappings.first { $0.container == "/data" }?.local ?? pod.podDirectory.path
        // A config that serves TLS keeps its ports (`port 0`, `tls-port 6379`).
        let tlsCACertificate = files.lazy.compactMap { file in
            file.contents.split(separator: "\n").first { $0.hasPrefix("tls-ca-cert-file ") }.map { String($0.dropFirst("tls-ca-cert-file ".count)) }
        }.first
        arguments += [
            "--daemonize", "no",
        ] + (tlsCACertificate == nil ? ["--port", "6379"] : []) + [
            "--bind", pod.podIP,
            // Else cluster bus peers see every connection as coming from 127.0.0.1.
            "--bind-source-addr", pod.podIP,
            "--dir", dataDirectory,
            "--pidfile", pod.podDirectory.appendingPathComponent("redis.pid").path,
            "--logfile", pod.podDirectory.appendingPathComponent("redis.log").path,
            // Keep argv as launched in /proc/PID/cmdline (Redis rewrites it to a title by default), as a
            // container runtime records a container's command line: tests can see what it holds.
            "--set-proc-title", "no",
        ]
        return FakeKubeletLaunch(
            arguments: arguments, shell: shell, environment: environment, files: files, directories: directories,
            password: passwordArgument(in: arguments) ?? adminPassword(in: files) ?? requirepass(in: files)
                ?? environment["REDIS_PASSWORD"],
            tlsCACertificate: tlsCACertificate, refreshedFiles: refreshed
        )
    }

    /// The container env: plain values (with `$(VAR)` of earlier entries), fieldRefs, Secret and
    /// ConfigMap keys.
    static func environment(of container: JSONValue, pod: Pod, lookup: (FakeResourceType, String) -> JSONValue?) throws -> [String: String] {
        var environment: [String: String] = [:]
        for entry in container["env"].array ?? [] {
            guard let name = entry["name"].string else { continue }
            if let value = entry["value"].string {
                environment[name] = expand(value, with: environment)
                continue
            }
            let source = entry["valueFrom"]
            if let fieldPath = source["fieldRef"]["fieldPath"].string {
                switch fieldPath {
                case "metadata.name": environment[name] = pod.name
                case "metadata.namespace": environment[name] = pod.namespace
                case "metadata.uid": environment[name] = pod.uid
                case "spec.nodeName": environment[name] = pod.nodeName
                case "spec.serviceAccountName": environment[name] = pod.template["spec"]["serviceAccountName"].string ?? "default"
                case "status.podIP", "status.podIPs", "status.hostIP": environment[name] = pod.podIP
                default: environment[name] = ""
                }
            } else if let secretName = source["secretKeyRef"]["name"].string, let key = source["secretKeyRef"]["key"].string {
                let secret = lookup(FakeKubeletKinds.secrets, secretName)
                if let encoded = secret?["data"][key].string, let data = Data(base64Encoded: encoded), let value = String(data: data, encoding: .utf8) {
                    environment[name] = value
                } else if let value = secret?["stringData"][key].string {
                    environment[name] = value
                } else if source["secretKeyRef"]["optional"].bool != true {
                    throw Failure(description: "secret \"\(secretName)\" has no key \"\(key)\"")
                }
            } else if let configMapName = source["configMapKeyRef"]["name"].string, let key = source["configMapKeyRef"]["key"].string {
                if let value = lookup(FakeKubeletKinds.configMaps, configMapName)?["data"][key].string {
                    environment[name] = value
                } else if source["configMapKeyRef"]["optional"].bool != true {
                    throw Failure(description: "configmap \"\(configMapName)\" has no key \"\(key)\"")
                }
            }
        }
        return environment
    }

    /// Kubernetes' `$(VAR)` expansion: defined variables are replaced, `$$` escapes, the rest stays.
    static func expand(_ text: String, with environment: [String: String]) -> String {
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let afterDollar = rest.index(after: dollar)
            if afterDollar < rest.endIndex, rest[afterDollar] == "$" {
                result += "$"
                rest = rest[rest.index(after: afterDollar)...]
            } else if afterDollar < rest.endIndex, rest[afterDollar] == "(", let close = rest[afterDollar...].firstIndex(of: ")") {
                let name = String(rest[rest.index(after: afterDollar)..<close])
                result += environment[name] ?? "$(\(name))"
                rest = rest[rest.index(after: close)...]
            } else {
                result += "$"
                rest = rest[afterDollar...]
            }
        }
        return result + rest
    }

    /// A config token or argument naming a path under a mount, rewritten to the local path.
    static func rewritePath(_ token: String, _ mappings: [(container: String, local: String)]) -> String {
        let quote = token.first.flatMap { $0 == "\"" || $0 == "'" ? $0 : nil }
        var bare = Substring(token)
        if let quote, bare.count >= 2, bare.last == quote { bare = bare.dropFirst().dropLast() }
        for mapping in mappings where mapping.container != "/" {
            if bare == mapping.container || bare.hasPrefix(mapping.container + "/") {
                let rewritten = mapping.local + bare.dropFirst(mapping.container.count)
                return quote.map { _ in RedisServerProcess.quoted(rewritten) } ?? rewritten
            }
        }
        return token
    }

    /// A mounted `admin-password` (the derived auth Secret's key the pods' probe logs in with).
    private static func adminPassword(in files: [(path: URL, contents: String)]) -> String? {
        files.first { $0.path.lastPathComponent == "admin-password" }?.contents
    }

    /// The `requirepass` of a mounted config file (an included auth.conf), unquoted.
    private static func requirepass(in files: [(path: URL, contents: String)]) -> String? {
        for file in files {
            for line in file.contents.split(separator: "\n") where line.hasPrefix("requirepass ") {
                var value = Substring(line.dropFirst("requirepass ".count))
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                return value.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
        }
        return nil
    }

    private static func passwordArgument(in arguments: [String]) -> String? {
        guard let index = arguments.lastIndex(of: "--requirepass"), arguments.indices.contains(index + 1) else { return nil }
        return arguments[index + 1]
    }
}
