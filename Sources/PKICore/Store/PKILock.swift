import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The exclusive lock every writer of a cert dir holds (pkictl and pkid alike): `flock` on `.pkid.lock`.
/// The kernel drops it when the holder dies, so a killed writer never leaves the PKI locked.
public final class PKILock: @unchecked Sendable {
    public static let fileName = ".pkid.lock"
    public static let defaultTimeout: TimeInterval = 60

    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Waits up to `timeout` seconds for the lock of `certificatesDir` (creating the directory if needed).
    public static func acquire(certificatesDir: String, timeout: TimeInterval) throws -> PKILock {
        try AtomicFile.createDirectory(certificatesDir)
        let path = certificatesDir + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AtomicFile.ioError("open lock file", path) }
        let deadline = Date().addingTimeInterval(max(0, timeout))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let error = AtomicFile.ioError("lock", path)
                close(descriptor)
                throw error
            }
            guard Date() < deadline else {
                close(descriptor)
                throw PKIError(.conflict, "another pkictl or pkid is changing \(certificatesDir) (lock \(path) held for \(Int(timeout))s); wait for it to finish or raise --lock-timeout")
            }
            usleep(50_000)
        }
        return PKILock(descriptor: descriptor)
    }
}
