import Foundation

/// A file that is small by nature (a PEM certificate or key, a password): read whole, at most
/// `limit` bytes, so a wrong path (a device, a huge log) costs bounded memory and a clear error.
public enum SmallFile {
    public enum Failure: Error, Equatable {
        case unreadable(reason: String)
        case tooLarge(limit: Int)
    }

    public static let pemLimit = 1 << 20

    /// The file's bytes; nil when it does not exist.
    public static func read(_ path: String, limit: Int = pemLimit) throws(Failure) -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(reason: "permission denied or not a file") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw .unreadable(reason: error.localizedDescription)
        }
        guard data.count <= limit else { throw .tooLarge(limit: limit) }
        return data
    }
}
