import Foundation
import Kubernetes

/// The fake server keeps objects as the client's own JSON value type: one JSON model in the repo.
public typealias JSONValue = KubeJSON

extension KubeJSON {
    /// Removes `key` from an object (no-op otherwise).
    public mutating func removeValue(forKey key: String) {
        guard case .object(var fields) = self else { return }
        fields[key] = nil
        self = .object(fields)
    }

    /// Sorted-key JSON for response bodies. Encoding a JSON value cannot fail: every case maps
    /// to plain JSON.
    public var encodedData: Data { (try? jsonData()) ?? Data("null".utf8) }

    /// `overlay`'s fields recursively over this object's; arrays and scalars are replaced whole.
    public func merging(_ overlay: KubeJSON) -> KubeJSON {
        guard case .object(var base) = self, case .object(let top) = overlay else { return overlay }
        for (key, value) in top {
            base[key] = (base[key] ?? .null).merging(value)
        }
        return .object(base)
    }
}
