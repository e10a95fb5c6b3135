/// Server-side apply's bookkeeping of which field manager owns which fields, kept in
/// `metadata.managedFields[].fieldsV1` in the real format (`{"f:spec":{"f:replicas":{}}}`).
/// Objects are recursed into; lists and scalars are owned whole (the real server merges some lists
/// by key, which this fake does not).
enum FieldOwnership {
    typealias Path = [String]

    /// The paths an applied object sets, leaving out what identifies it.
    static func leafPaths(of object: JSONValue) -> Set<Path> {
        var paths = Set<Path>()
        collect(object, prefix: [], into: &paths)
        return paths.subtracting([["apiVersion"], ["kind"], ["metadata", "name"], ["metadata", "namespace"]])
    }

    private static func collect(_ value: JSONValue, prefix: Path, into paths: inout Set<Path>) {
        if case .object(let fields) = value, !fields.isEmpty {
            for (key, child) in fields { collect(child, prefix: prefix + [key], into: &paths) }
        } else if !prefix.isEmpty {
            paths.insert(prefix)
        }
    }

    static func fieldsV1(_ paths: Set<Path>) -> JSONValue {
        var root: JSONValue = [:]
        for path in paths {
            root = inserting(path[...], into: root)
        }
        return root
    }

    private static func inserting(_ path: ArraySlice<String>, into node: JSONValue) -> JSONValue {
        guard let first = path.first else { return node }
        var node = node
        let key = "f:" + first
        node[key] = inserting(path.dropFirst(), into: node[key].isNull ? [:] : node[key])
        return node
    }

    static func paths(fromFieldsV1 fields: JSONValue) -> Set<Path> {
        var paths = Set<Path>()
        walk(fields, prefix: [], into: &paths)
        return paths
    }

    private static func walk(_ node: JSONValue, prefix: Path, into paths: inout Set<Path>) {
        let children = (node.object ?? [:]).filter { $0.key.hasPrefix("f:") }
        if children.isEmpty {
            if !prefix.isEmpty { paths.insert(prefix) }
            return
        }
        for (key, child) in children { walk(child, prefix: prefix + [String(key.dropFirst(2))], into: &paths) }
    }

    static func value(at path: Path, in object: JSONValue) -> JSONValue {
        path.reduce(object) { $0[$1] }
    }

    /// `object` without the field at `path`; parents left empty are removed too.
    static func removing(_ path: Path, from object: JSONValue) -> JSONValue {
        guard let first = path.first else { return object }
        var object = object
        if path.count == 1 {
            object.removeValue(forKey: first)
        } else if case .object = object[first] {
            let child = removing(Array(path.dropFirst()), from: object[first])
            if child.object?.isEmpty == true { object.removeValue(forKey: first) } else { object[first] = child }
        }
        return object
    }

    /// Whether one path is the other or lies inside it: `.spec` and `.spec.replicas` overlap.
    static func overlaps(_ first: Path, _ second: Path) -> Bool {
        let length = min(first.count, second.count)
        return first.prefix(length) == second.prefix(length)
    }

    /// ".spec.replicas", as conflict messages name fields.
    static func describe(_ path: Path) -> String {
        path.map { "." + $0 }.joined()
    }
}
