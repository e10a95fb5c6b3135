import Foundation
import Manifests
import RedisCtlCore

/// `render`: the typed manifests as YAML, on stdout or as the seed's file set in a directory.
public struct RenderCommand: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// Kubernetes objects.
        case manifests
        /// Values for the bitnami/redis-cluster chart, equivalent to the spec.
        case helmValues = "helm-values"
    }

    public var outDirectory: String?
    public var format: Format
    public var withSecrets: Bool

    public init(outDirectory: String? = nil, format: Format = .manifests, withSecrets: Bool = false) {
        self.outDirectory = outDirectory
        self.format = format
        self.withSecrets = withSecrets
    }

    public func run(_ context: CommandContext) async throws -> Int32 {
        let target = try DeploymentTarget.resolve(context, needsPlatform: false)
        for advisory in target.deployment.spec.manifestAdvisories { context.progress.warning(advisory) }
        let text: String
        var files: [String] = []
        switch format {
        case .helmValues:
            text = try HelmValues.render(target.deployment)
            if let outDirectory {
                let url = URL(fileURLWithPath: outDirectory).appendingPathComponent("helm-values.yaml")
                try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
                files = [url.path]
            }
        case .manifests:
            // A new password each time: render never reads the cluster's real one.
            var users: [String: String] = [:]
            if withSecrets {
                for user in target.deployment.spec.auth.effectiveUsers { users[user.name] = PasswordGenerator.generate(length: 32) }
            }
            let options = RenderOptions(withSecrets: withSecrets,
                                        password: withSecrets ? PasswordGenerator.generate(length: 32) : nil, userPasswords: users)
            let groups = try ManifestSet.build(from: target.deployment, options: options)
            if let outDirectory {
                let url = URL(fileURLWithPath: outDirectory, isDirectory: true)
                try groups.writeFiles(to: url)
                files = groups.map { url.appendingPathComponent($0.fileName).path }
                text = ""
            } else {
                text = try groups.render()
            }
        }
        if outDirectory == nil {
            guard context.settings.output == .text else {
                throw GeneralFailure(.usage, "render prints YAML on stdout; -o json applies with --out DIR (the list of files)")
            }
            context.console.writeOut(text)
            return 0
        }
        try context.emit(RenderResult(directory: outDirectory ?? "", files: files))
        return 0
    }
}

struct RenderResult: CommandResult {
    let directory: String
    let files: [String]

    var text: String { "wrote \(files.count) files to \(directory)" }
}
