import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// The exclusive lock every writer of a cert dir holds (pkictl and pkid alike): `flock` on the cert dir
/// itself, so no lock file is ever left behind. The kernel drops it when the holder dies, so a killed
/// writer never leaves the PKI locked.
public final class PKILock: @unchecked Sendable {
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
        let path = certificatesDir
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw AtomicFile.ioError("open", path) }
        let deadline = Date().addingTimeInterval(max(0, timeout))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let error = AtomicFile.ioError("lock", path)
                close(descriptor)
                throw error
            }
            guard Date() < deadline else {
                close(descriptor)
                throw PKIError(.conflict, "another pkictl or pkid is changing \(certificatesDir) (still locked after \(timeout)s); wait for it to finish or raise --lock-timeout")
            }
            usleep(50_000)
        }
        return PKILock(descriptor: descriptor)
    }
}
