import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// The files one interrupted swap of `PKIDirectory.writePair` can leave: the staged certificate (or public key) and
/// key, and the old certificate moved aside.
struct InterruptedSwap {
    let primaryPath: String

    var keyPath: String { String(primaryPath.dropLast(4)) + ".key" }
    var stagedPrimary: String { PKIDirectory.hiddenPath(primaryPath, suffix: PKIDirectory.pendingSuffix) }
    var stagedKey: String { PKIDirectory.hiddenPath(keyPath, suffix: PKIDirectory.pendingSuffix) }
    var aside: String { PKIDirectory.hiddenPath(primaryPath, suffix: PKIDirectory.asideSuffix) }

    private var isCertificate: Bool { primaryPath.hasSuffix(".crt") }

    /// Why the staged primary must not be installed, nil when it may: it must parse, match the key that will be
    /// beside it (the staged one, else the one in place) and, for a certificate, be a CA or be issued by one of
    /// `authorities`.
    func mismatch(authorities: [Certificate]) -> String? {
        let manager = FileManager.default
        let keyFile = manager.fileExists(atPath: stagedKey) ? stagedKey : keyPath
        guard let keyData = try? PKIDirectory.read(keyFile), let key = try? PrivateKey(pem: keyData, source: keyFile) else {
            return "no readable key to pair it with"
        }
        guard let staged = try? PKIDirectory.read(stagedPrimary) else { return "it cannot be read" }
        if isCertificate {
            guard let certificate = try? Certificate(pem: staged, source: stagedPrimary) else { return "it is not a certificate" }
            guard key.matches(certificate) else { return "it does not match the key \(keyFile)" }
            guard certificate.isCA || authorities.contains(where: { certificate.isIssued(by: $0) }) else {
                return "it is not issued by a CA in this directory"
            }
        } else {
            guard let publicKey = try? PublicKey(pem: staged, source: stagedPrimary) else { return "it is not a public key" }
            guard key.matches(publicKey) else { return "it does not match the key \(keyFile)" }
        }
        return nil
    }

    /// Moves in whatever is still staged, key first, the old certificate aside meanwhile.
    func complete() throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: stagedKey) {
            if manager.fileExists(atPath: primaryPath) && !manager.fileExists(atPath: aside) {
                guard rename(primaryPath, aside) == 0 else { throw AtomicFile.ioError("move aside", primaryPath) }
            }
            try AtomicFile.commit(stagedKey, to: keyPath)
        }
        try AtomicFile.commit(stagedPrimary, to: primaryPath)
    }

    /// Renames the staged files to `.NAME.rejected-<time>` and puts an old certificate moved aside back; returns the
    /// new names.
    func setAside(now: Date) throws -> [String] {
        let stamp = Int(now.timeIntervalSince1970)
        var kept: [String] = []
        for staged in [stagedPrimary, stagedKey] where FileManager.default.fileExists(atPath: staged) {
            let target = String(staged.dropLast(PKIDirectory.pendingSuffix.count)) + "rejected-\(stamp)"
            guard rename(staged, target) == 0 else { throw AtomicFile.ioError("set aside", staged) }
            kept.append(target)
        }
        if !FileManager.default.fileExists(atPath: primaryPath) && FileManager.default.fileExists(atPath: aside) {
            try AtomicFile.commit(aside, to: primaryPath)
        }
        return kept
    }
}
