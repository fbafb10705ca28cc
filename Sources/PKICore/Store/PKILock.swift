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

    /// Waits up to `timeout` seconds of `clock` for the lock of `certificatesDir` (creating the directory if needed).
    public static func acquire(certificatesDir: String, timeout: TimeInterval, clock: any WallClock) async throws -> PKILock {
        try AtomicFile.createDirectory(certificatesDir)
        let path = certificatesDir
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw AtomicFile.ioError("open", path) }
        let deadline = clock.now.advanced(by: .seconds(max(0, timeout)))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let error = AtomicFile.ioError("lock", path)
                close(descriptor)
                throw error
            }
            guard clock.now < deadline else {
                close(descriptor)
                throw PKIError(.lockTimeout, "another pkictl or pkid is changing \(certificatesDir) (still locked after \(GoDuration.format(timeout))); wait for it to finish or raise --lock-timeout")
            }
            do {
                try await clock.sleep(for: pollInterval)
            } catch {
                close(descriptor)
                throw error
            }
        }
        return PKILock(descriptor: descriptor)
    }

    /// How often a waiting writer tries again.
    static let pollInterval: Duration = .milliseconds(50)
}
