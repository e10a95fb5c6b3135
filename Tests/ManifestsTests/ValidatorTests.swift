import Foundation
import Spec
import Testing

@testable import Manifests

/// The rendered manifests of every shape, checked by the real tools: kubernetes-validate (1.28
/// and the newest version it knows), the Prometheus Operator CRD schemas, checkov, promtool and
/// yamllint.
@Suite(.serialized) struct ValidatorTests {
    /// The oldest Kubernetes the deployment supports; the newest is kubernetes-validate's default.
    static let oldestKubernetes = "1.28.0"
    static let crdKinds = ["ServiceMonitor", "PrometheusRule", "Certificate"]

    static func renderedDirectory(_ deployment: RedisDeployment) throws -> URL {
        let directory = try Fixtures.temporaryDirectory()
        try ManifestSet.build(from: deployment, options: .init(withSecrets: true, password: "not-a-real-password"))
            .writeFiles(to: directory)
        return directory
    }

    static func yamlFiles(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    @Test(arguments: Shapes.all.map(\.0))
    func kubernetesValidateAcceptsEveryObject(_ shape: String) throws {
        let deployment = try #require(Shapes.all.first { $0.0 == shape }).1
        let directory = try Self.renderedDirectory(deployment)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try Self.yamlFiles(in: directory)
        for version in [[Self.oldestKubernetes], []] {
            let arguments = ["--strict"] + (version.isEmpty ? [] : ["-k", version[0]]) + files
            guard let result = try ExternalTool(name: "kubernetes-validate").run(arguments) else { return }
            let problems = result.output.split(separator: "\n").filter { line in
                guard !line.hasPrefix("INFO") else { return false }
                // Custom resources are checked against their CRD schemas below.
                return !Self.crdKinds.contains { line.contains("Couldn't find schema for kind \($0) ") }
            }
            #expect(result.exitCode == 0 && problems.isEmpty,
                    "\(shape), Kubernetes \(version.first ?? "newest"):\n\(problems.joined(separator: "\n"))")
        }
    }

    @Test(arguments: Shapes.all.map(\.0))
    func monitoringObjectsMatchTheirCRDSchemas(_ shape: String) throws {
        let deployment = try #require(Shapes.all.first { $0.0 == shape }).1
        let directory = try Self.renderedDirectory(deployment)
        defer { try? FileManager.default.removeItem(at: directory) }
        let monitoring = directory.appendingPathComponent(ManifestFileName.monitoring).path
        let schemas = Fixtures.directory.appendingPathComponent("crd-schemas").path
        let script = """
            import json, sys, yaml, jsonschema
            checked = 0
            for doc in yaml.safe_load_all(open(sys.argv[1])):
                if not doc or doc["apiVersion"] != "monitoring.coreos.com/v1":
                    continue
                schema = json.load(open(f"{sys.argv[2]}/{doc['kind'].lower()}-monitoring-v1.json"))
                for error in jsonschema.Draft202012Validator(schema).iter_errors(doc):
                    print(f"{doc['kind']} {doc['metadata']['name']}: {list(error.path)}: {error.message}")
                    sys.exit(1)
                checked += 1
            print(f"checked {checked}")
            """
        guard let result = try ExternalTool(name: "python3").run(["-c", script, monitoring, schemas]) else { return }
        #expect(result.exitCode == 0, "\(result.output)")
        #expect(result.output.contains("checked 2"), "\(result.output)")
    }

    /// The cert-manager Certificate against the schema of cert-manager's own CRD.
    @Test func theCertificateMatchesCertManagersCRDSchema() throws {
        let directory = try Self.renderedDirectory(Shapes.certManager)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secrets = directory.appendingPathComponent(ManifestFileName.secrets).path
        let schema = Fixtures.directory.appendingPathComponent("crd-schemas/certificate-cert-manager-v1.json").path
        let script = """
            import json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[2]))
            certificates = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Certificate"]
            for doc in certificates:
                for error in jsonschema.Draft202012Validator(schema).iter_errors(doc):
                    print(f"{doc['metadata']['name']}: {list(error.path)}: {error.message}")
                    sys.exit(1)
            print(f"checked {len(certificates)}")
            """
        guard let result = try ExternalTool(name: "python3").run(["-c", script, secrets, schema]) else { return }
        #expect(result.exitCode == 0, "\(result.output)")
        #expect(result.output.contains("checked 1"), "\(result.output)")
    }

    @Test(arguments: Shapes.all.map(\.0))
    func checkovFindsNoFailedCheck(_ shape: String) throws {
        let deployment = try #require(Shapes.all.first { $0.0 == shape }).1
        let directory = try Self.renderedDirectory(deployment)
        defer { try? FileManager.default.removeItem(at: directory) }
        guard let result = try ExternalTool(name: "checkov").run(
            ["--framework", "kubernetes", "-d", directory.path, "--compact", "--quiet", "--skip-download"])
        else { return }
        #expect(result.exitCode == 0 && !result.output.contains("FAILED"), "\(shape):\n\(result.output)")
    }

    @Test(arguments: Shapes.all.map(\.0))
    func yamllintIsClean(_ shape: String) throws {
        let deployment = try #require(Shapes.all.first { $0.0 == shape }).1
        let directory = try Self.renderedDirectory(deployment)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = Fixtures.directory.appendingPathComponent("yamllint.yaml").path
        guard let result = try ExternalTool(name: "yamllint").run(["--strict", "-c", config, directory.path])
        else { return }
        #expect(result.exitCode == 0, "\(shape):\n\(result.output)")
    }

    @Test(arguments: Shapes.all.map(\.0))
    func promtoolAcceptsTheRules(_ shape: String) throws {
        let deployment = try #require(Shapes.all.first { $0.0 == shape }).1
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = directory.appendingPathComponent("rules.yaml")
        try AlertRuleFiles.rules(deployment).write(to: rules, atomically: true, encoding: .utf8)
        guard let result = try ExternalTool(name: "promtool").run(["check", "rules", rules.path]) else { return }
        #expect(result.exitCode == 0, "\(shape):\n\(result.output)")
    }

    @Test func promtoolUnitTestsProveTheCriticalAlerts() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try AlertRuleFiles.rules(.defaults).write(
            to: directory.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let tests = directory.appendingPathComponent("tests.yaml")
        try AlertRuleTests.file.write(to: tests, atomically: true, encoding: .utf8)
        guard let result = try ExternalTool(name: "promtool").run(["test", "rules", tests.path], in: directory)
        else { return }
        #expect(result.exitCode == 0, "\(result.output)")
    }
}

extension ValidatorTests {
    /// The unit tests are worth something only if a wrong threshold or duration breaks them.
    @Test(arguments: [("> 0.95", "> 0.99"), ("for: 5m", "for: 15m"), ("== 0", "== 2")])
    func promtoolUnitTestsCatchAWrongRule(_ mutation: (String, String)) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = try AlertRuleFiles.rules(.defaults)
        #expect(rules.contains(mutation.0))
        try rules.replacingOccurrences(of: mutation.0, with: mutation.1).write(
            to: directory.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let tests = directory.appendingPathComponent("tests.yaml")
        try AlertRuleTests.file.write(to: tests, atomically: true, encoding: .utf8)
        guard let result = try ExternalTool(name: "promtool").run(["test", "rules", tests.path], in: directory)
        else { return }
        #expect(result.exitCode != 0, "promtool accepted rules with \(mutation.0) changed to \(mutation.1)")
    }
}

enum AlertRuleFiles {
    /// The PrometheusRule's `spec` is exactly a Prometheus rule file.
    static func rules(_ deployment: RedisDeployment) throws -> String {
        let rule = MonitoringBuilder.prometheusRule(ManifestContext(deployment, options: .init()))
        return try YAMLRenderer.renderDocument(rule.spec, name: "rules")
    }
}
