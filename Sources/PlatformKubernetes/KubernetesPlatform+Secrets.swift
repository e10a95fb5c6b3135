import Foundation
import Kubernetes
import Manifests
import Platforms
import RedisCtlCore

extension KubernetesPlatform: SecretSource {
    /// A Secret of the deployment's namespace, its base64 `data` decoded as UTF-8.
    public func secretValues(named name: String) async throws -> [String: String]? {
        guard let secret = try await client.get(CoreV1.Secret.resource.objectPath(name: name, namespace: namespace)) else {
            return nil
        }
        var values: [String: String] = [:]
        for (key, value) in secret["data"].object ?? [:] {
            guard let encoded = value.string, let data = Data(base64Encoded: encoded),
                  let text = String(data: data, encoding: .utf8) else {
                throw GeneralFailure(.cannotRun, "Secret \(namespace)/\(name): key '\(key)' is not base64-encoded UTF-8 text; fix the Secret")
            }
            values[key] = text
        }
        return values
    }
}
