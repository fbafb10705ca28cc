import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// A file that holds a secret (the certificate key). As ssh with a private key, pkictl takes the secret only from a
/// file that the user running it (or root) owns and that nobody else may read or write: a secret others can read
/// is no longer one, and a file others can write lets them choose the key.
public enum SecretFile {
    /// The bytes of `path`: a regular file, or a pipe (`--certificate-key-file <(command)`), at most `expected.limit`.
    public static func read(_ path: String, holding secret: String, _ expected: BoundedFile.Expectation) throws -> Data {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            if errno == ENOENT { throw PKIError(.fileNotFound, "\(path) does not exist; \(expected.advice)") }
            let error = AtomicFile.ioError("open", path)
            throw PKIError(error.code, "\(error.message); \(expected.advice)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw AtomicFile.ioError("inspect", path) }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFIFO else {
            throw PKIError(.notARegularFile, "\(path) is \(BoundedFile.kind(info.st_mode)), not a regular file or a pipe; \(expected.advice)")
        }
        try refuseShared(info, path: path, holding: secret)
        // Opened without blocking so that a FIFO nobody writes cannot hang the open; its reads may block.
        if type == S_IFIFO { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return try BoundedFile.readAll(fd, name: path, expected)
    }

    /// Refuses the file at `path` when it is not private to this user (or root); see the type's comment.
    public static func checkPrivate(_ path: String, holding secret: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw AtomicFile.ioError("inspect", path) }
        try refuseShared(info, path: path, holding: secret)
    }

    private static func refuseShared(_ info: stat, path: String, holding secret: String) throws {
        let me = geteuid()
        guard info.st_uid == me || info.st_uid == 0 else {
            throw PKIError(.insecurePermissions, "\(path) holds \(secret) but is owned by uid \(info.st_uid), who can read and change it; make it yours (`chown \(me) \(path)`) or root's")
        }
        let shared = info.st_mode & 0o077
        guard shared == 0 else {
            throw PKIError(.insecurePermissions, "\(path) holds \(secret) but group or others may access it (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
    }
}
