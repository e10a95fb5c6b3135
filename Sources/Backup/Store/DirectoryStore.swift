import Foundation
import NIOCore
import RedisCtlCore

/// Backup sets in a local directory (or a mounted volume). Objects are written to a temporary
/// name and renamed into place on success, so a reader never sees half a file under its key.
public struct DirectoryStore: BackupStore {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public var location: String { root }

    func path(_ key: String) -> String {
        URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(key).path
    }

    private func createParent(of path: String) throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw GeneralFailure(.cannotRun, "cannot create directory \(parent): \(error.localizedDescription)")
        }
    }

    public func makeWriter(key: String) async throws -> any BackupObjectWriter {
        let final = path(key)
        try createParent(of: final)
        let temporary = final + ".partial-\(UUID().uuidString.prefix(8))"
        return DirectoryObjectWriter(sink: try await FileSink.create(path: temporary), finalPath: final)
    }

    public func put(key: String, bytes: [UInt8]) async throws {
        let writer = try await makeWriter(key: key)
        do {
            try await writer.write(ByteBuffer(bytes: bytes))
            _ = try await writer.finish()
        } catch {
            await writer.abort()
            throw error
        }
    }

    public func get(key: String, maxSize: Int) async throws -> [UInt8]? {
        let file = path(key)
        guard let size = FileSource.size(of: file) else { return nil }
        guard size <= maxSize else {
            throw GeneralFailure(.cannotRun, "\(file) is \(size) bytes, more than the \(maxSize) expected; it is not a backup manifest")
        }
        let source = try await FileSource.open(path: file)
        var buffer: ByteBuffer
        do {
            buffer = try await source.read(maximum: Int(size) + 1)
        } catch {
            await source.close()
            throw error
        }
        await source.close()
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    public func download(key: String, toFile destination: String) async throws {
        let source = try await FileSource.open(path: path(key))
        let sink = try await FileSink.create(path: destination)
        do {
            while true {
                let chunk = try await source.read(maximum: 1 << 20)
                if chunk.readableBytes == 0 { break }
                try await sink.write(chunk)
            }
            try await sink.close()
            await source.close()
        } catch {
            await sink.discard()
            await source.close()
            throw error
        }
    }

    public func localFile(for key: String) -> String? { path(key) }

    public func list(prefix: String) async throws -> [StoredObject] {
        let root = self.root
        return try await BlockingIO.run {
            let rootURL = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: rootURL.path, isDirectory: &isDirectory) else { return [] }
            guard isDirectory.boolValue else {
                throw GeneralFailure(.cannotRun, "\(root) is not a directory")
            }
            guard let enumerator = FileManager.default.enumerator(
                at: rootURL, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey]) else { return [] }
            let rootPath = rootURL.path.hasSuffix("/") ? rootURL.path : rootURL.path + "/"
            var objects: [StoredObject] = []
            for case let url as URL in enumerator {
                let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
                guard values?.isRegularFile == true else { continue }
                let full = url.standardizedFileURL.path
                guard full.hasPrefix(rootPath) else { continue }
                let key = String(full.dropFirst(rootPath.count))
                if key.hasPrefix(prefix) {
                    objects.append(StoredObject(key: key, size: Int64(values?.fileSize ?? 0)))
                }
            }
            return objects.sorted { $0.key < $1.key }
        }
    }

    public func delete(keys: [String]) async throws {
        let paths = keys.map(path)
        let root = URL(fileURLWithPath: self.root).standardizedFileURL.path
        try await BlockingIO.run {
            var parents: Set<String> = []
            for file in paths {
                do {
                    try FileManager.default.removeItem(atPath: file)
                } catch CocoaError.fileNoSuchFile {
                } catch {
                    if FileManager.default.fileExists(atPath: file) {
                        throw GeneralFailure(.operationFailed, "cannot delete \(file): \(error.localizedDescription)")
                    }
                }
                parents.insert(URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path)
            }
            // Emptied set directories go too (deepest first); the root and non-empty ones stay.
            for parent in parents.sorted(by: { $0.count > $1.count }) {
                var directory = parent
                while directory.count > root.count, directory.hasPrefix(root),
                      (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true {
                    try? FileManager.default.removeItem(atPath: directory)
                    directory = URL(fileURLWithPath: directory).deletingLastPathComponent().path
                }
            }
        }
    }
}

final class DirectoryObjectWriter: BackupObjectWriter, @unchecked Sendable {
    private let sink: FileSink
    private let finalPath: String

    init(sink: FileSink, finalPath: String) {
        self.sink = sink
        self.finalPath = finalPath
    }

    func write(_ chunk: ByteBuffer) async throws { try await sink.write(chunk) }

    func finish() async throws -> Int64 {
        try await sink.close()
        let temporary = sink.path
        let final = finalPath
        try await BlockingIO.run {
            if rename(temporary, final) != 0 {
                throw GeneralFailure(.operationFailed, "cannot rename \(temporary) to \(final): \(BlockingIO.errnoText(errno))")
            }
        }
        return sink.size
    }

    func abort() async {
        await sink.discard()
        let temporary = sink.path
        _ = try? await BlockingIO.run { unlink(temporary) }
    }
}
