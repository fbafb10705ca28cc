import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// Reads of files whose size has a natural bound (a key, a certificate, a certificate key). A file over the bound is
/// refused from its size alone, unread, and anything that is not a regular file (a FIFO that would block, a device
/// that never ends, a directory, a dangling symlink) is refused before a byte is read.
public enum BoundedFile {
    /// What a file is expected to hold, for errors ("private key file"), at most `limit` bytes.
    public struct Expectation: Sendable {
        public let what: String
        public let limit: Int
        /// What the operator should do about a file that is refused, appended to every error.
        public let advice: String

        public init(what: String, limit: Int, advice: String) {
            self.what = what
            self.limit = limit
            self.advice = advice
        }
    }

    /// The bytes of the regular file at `path` (symlinks followed); nil when nothing exists there.
    public static func read(_ path: String, _ expected: Expectation) throws -> Data? {
        var link = stat()
        guard lstat(path, &link) == 0 else {
            if errno == ENOENT { return nil }
            throw failure("inspect", path, expected)
        }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            if errno == ENOENT {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                throw PKIError(.notARegularFile, "\(path) is a symbolic link to \(target), which does not exist; \(expected.advice)")
            }
            throw failure("open", path, expected)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("inspect", path, expected) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw PKIError(.notARegularFile, "\(path) is \(kind(info.st_mode)), not a regular file; \(expected.advice)")
        }
        try refuse(size: Int(info.st_size), path: path, expected)
        return try readAll(fd, name: path, expected)
    }

    /// Reads an open descriptor (a pipe, standard input) to its end, refusing more than `expected.limit` bytes.
    public static func readAll(_ fd: Int32, name: String, _ expected: Expectation) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let wanted = min(buffer.count, expected.limit + 1 - data.count)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read", name, expected)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
            // A file that grows while it is read is judged by what it grew to.
            try refuse(size: data.count, path: name, expected)
        }
    }

    private static func failure(_ operation: String, _ path: String, _ expected: Expectation) -> PKIError {
        let error = AtomicFile.ioError(operation, path)
        return PKIError(error.code, "\(error.message); \(expected.advice)")
    }

    private static func refuse(size: Int, path: String, _ expected: Expectation) throws {
        guard size > expected.limit else { return }
        throw PKIError(.fileTooLarge, "\(path) is \(describe(bytes: size)), more than any \(expected.what) needs (at most \(describe(bytes: expected.limit))); \(expected.advice)")
    }

    /// `1234 bytes`, `64 KiB`, `50.0 MiB`.
    public static func describe(bytes: Int) -> String {
        if bytes >= 1 << 20 {
            return bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
        }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// "a FIFO", "a directory", ... for a file type.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFREG: "a regular file"
        default: "a special file"
        }
    }
}
