import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// The cert dir (`/etc/kubernetes/pki` by default): reads and crash-safe writes of certificates and keys.
///
/// A certificate and its key are swapped so that a reader never sees a mismatched pair, not even for an
/// instant: both new files are staged under hidden `.NAME.pending` names (the certificate last: once it is
/// staged the swap is committed), the old certificate is moved aside to `.NAME.old`, the new key and then
/// the new certificate are moved in, and the old certificate is dropped. A reader sees the old pair, then
/// no certificate, then the new pair. `completeInterruptedWrites()` finishes a committed swap and discards
/// an uncommitted one.
public struct PKIDirectory: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func certificatePath(_ baseName: String) -> String { "\(root)/\(baseName).crt" }
    public func keyPath(_ baseName: String) -> String { "\(root)/\(baseName).key" }
    public func publicKeyPath(_ baseName: String) -> String { "\(root)/\(baseName).pub" }

    package static let pendingSuffix = "pending"

    // MARK: Reading

    /// The certificate at `baseName.crt`, nil when the file does not exist.
    public func readCertificate(_ baseName: String) throws -> Certificate? {
        try Self.read(certificatePath(baseName)).map { try Certificate(pem: $0, source: certificatePath(baseName)) }
    }

    public func readKey(_ baseName: String) throws -> PrivateKey? {
        try Self.read(keyPath(baseName)).map { try PrivateKey(pem: $0, source: keyPath(baseName)) }
    }

    public func readPublicKey(_ baseName: String) throws -> PublicKey? {
        try Self.read(publicKeyPath(baseName)).map { try PublicKey(pem: $0, source: publicKeyPath(baseName)) }
    }

    /// The bytes of `path` (symlinks followed), nil when nothing exists there; other failures are errors naming the
    /// file. Plain POSIX reads: Foundation's URL and FileManager machinery is most of a short command's file I/O cost.
    public static func read(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            // Nothing there, or a path through a file: as FileManager.fileExists answered before.
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw unreadable(path)
        }
        defer { close(fd) }
        // A buffer the size of the file (plus one byte to see its end in one read; at least 4 KiB, for files such as
        // /proc's that report no size), at most 64 KiB at a time, left uninitialised and wiped afterwards: key files
        // pass through it.
        var status = stat()
        let size = fstat(fd, &status) == 0 ? max(0, Int(status.st_size)) : 0
        let capacity = min(max(size + 1, 4096), 64 * 1024)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer {
            explicit_bzero(buffer, capacity)
            buffer.deallocate()
        }
        var data = Data(capacity: size)
        while true {
            let count = Glibc.read(fd, buffer, capacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw unreadable(path)
            }
            if count == 0 { return data }
            data.append(buffer, count: count)
        }
    }

    private static func unreadable(_ path: String) -> PKIError {
        PKIError(.io, "cannot read \(path): \(String(cString: strerror(errno))); check its permissions")
    }

    // MARK: Writing

    /// Writes a certificate and its key so that a crash at any instant leaves the old pair or the new pair. `chain`
    /// (PEM certificates) follows the certificate in its file.
    public func write(certificate: IssuedCertificate, key: PrivateKey, baseName: String, chain: Data = Data()) throws {
        guard certificate.certifies(key) else {
            throw PKIError(.keyMismatch, "refusing to write \(certificatePath(baseName)): the certificate does not match its new key")
        }
        try writePair(
            secondary: (keyPath(baseName), try key.pem(), AtomicFile.keyMode),
            primary: (certificatePath(baseName), certificate.pem() + chain, AtomicFile.certificateMode)
        )
    }

    /// Writes a bare key pair (`sa.key`, `sa.pub`) with the same pairing guarantee.
    public func write(keyPair key: PrivateKey, baseName: String) throws {
        try writePair(
            secondary: (keyPath(baseName), try key.pem(), AtomicFile.keyMode),
            // kubeadm writes sa.pub 0600 too.
            primary: (publicKeyPath(baseName), try key.publicKey().pem(), AtomicFile.keyMode)
        )
    }

    package static let asideSuffix = "old"

    /// The swap itself, for callers with exact bytes to install (download-certs writes what was uploaded, byte for byte).
    package func writePair(secondary: (String, Data, mode_t), primary: (String, Data, mode_t)) throws {
        try AtomicFile.createDirectory(URL(fileURLWithPath: primary.0).deletingLastPathComponent().path)
        let stagedSecondary = try AtomicFile.stage(secondary.1, besides: secondary.0, mode: secondary.2, suffix: Self.pendingSuffix)
        let stagedPrimary: String
        do {
            stagedPrimary = try AtomicFile.stage(primary.1, besides: primary.0, mode: primary.2, suffix: Self.pendingSuffix)
            try AtomicFile.syncDirectory(of: primary.0)
        } catch {
            unlink(stagedSecondary)
            throw error
        }
        let aside = Self.hiddenPath(primary.0, suffix: Self.asideSuffix)
        if rename(primary.0, aside) != 0 && errno != ENOENT {
            throw AtomicFile.ioError("move aside", primary.0)
        }
        try AtomicFile.commit(stagedSecondary, to: secondary.0)
        try AtomicFile.commit(stagedPrimary, to: primary.0)
        unlink(aside)
    }

    /// `dir/.name.suffix` for `dir/name`.
    static func hiddenPath(_ path: String, suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + "." + suffix
    }

    // MARK: Recovery

    /// What recovery did with one interrupted swap.
    public enum Recovery: Sendable, Equatable {
        /// A swap interrupted after its commit point was finished: the certificate (or public key) at this path.
        case completed(String)
        /// A staged file that does not belong with the key in place (or chain to a CA here) was set aside, renamed
        /// to `keptAs`, and the pair in place left alone.
        case setAside(String, reason: String, keptAs: [String])
    }

    /// Finishes swaps a crash interrupted after their commit point and discards those interrupted before it. A
    /// staged certificate is installed only when it matches the key that will be beside it and is issued by a CA
    /// found here (or is a CA itself); a staged public key only when it matches its key. Anything else (a pair
    /// restored from a backup meanwhile, a planted file) is set aside under a `.rejected-<time>` name, never
    /// installed and never deleted. Run it under the PKI lock, before any write.
    @discardableResult
    public func completeInterruptedWrites(now: Date = Date()) throws -> [Recovery] {
        var done: [Recovery] = []
        let fileManager = FileManager.default
        let directories = [root] + subdirectories()
        let authorities = directories.flatMap(Self.authorityCertificates)
        for directory in directories {
            guard let names = try? fileManager.contentsOfDirectory(atPath: directory) else { continue }
            // Every pair a crash can leave traces of, named by its primary file (the .crt or .pub).
            var primaries = Set<String>()
            for name in names where name.hasPrefix(".") {
                if AtomicFile.isTemporaryName(name) {
                    // A temp file no rename ever published: the write it belonged to never happened.
                    unlink("\(directory)/\(name)")
                    continue
                }
                if AtomicFile.isProbeName(name) {
                    rmdir("\(directory)/\(name)")
                    continue
                }
                for suffix in [Self.pendingSuffix, Self.asideSuffix] where name.hasSuffix("." + suffix) {
                    let target = String(name.dropFirst().dropLast(suffix.count + 1))
                    if target.hasSuffix(".crt") || target.hasSuffix(".pub") {
                        primaries.insert(target)
                    } else if target.hasSuffix(".key") {
                        let stem = target.dropLast(".key".count)
                        let primary = ["\(stem).crt", "\(stem).pub"].first { names.contains(".\($0).\(Self.pendingSuffix)") }
                        if let primary { primaries.insert(primary) } else { unlink("\(directory)/\(name)") }
                    }
                }
            }
            for primary in primaries.sorted() {
                let swap = InterruptedSwap(primaryPath: "\(directory)/\(primary)")
                if fileManager.fileExists(atPath: swap.stagedPrimary) {
                    if let reason = swap.mismatch(authorities: authorities) {
                        done.append(.setAside(swap.primaryPath, reason: reason, keptAs: try swap.setAside(now: now)))
                    } else {
                        try swap.complete()
                        done.append(.completed(swap.primaryPath))
                    }
                } else if !fileManager.fileExists(atPath: swap.primaryPath) && fileManager.fileExists(atPath: swap.aside) {
                    // Not reachable by the swap order; put the old certificate back rather than lose it.
                    try AtomicFile.commit(swap.aside, to: swap.primaryPath)
                }
                unlink(swap.aside)
            }
        }
        return done
    }

    /// True when a swap of `path` was interrupted after its commit point: the next writer will finish it.
    public static func hasInterruptedWrite(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: hiddenPath(path, suffix: pendingSuffix))
    }

    /// The CA certificates in `directory` (in place or staged), for recovery to check what it installs.
    private static func authorityCertificates(in directory: String) -> [Certificate] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".crt") || $0.hasSuffix(".crt." + pendingSuffix) }.compactMap { name in
            (try? read("\(directory)/\(name)")).flatMap { $0 }.flatMap { try? Certificate(pem: $0, source: name) }
        }.filter(\.isCA)
    }

    /// The cert dir's immediate subdirectories (`etcd/`), where pairs are swapped too. Found on disk rather than
    /// asked of the catalogue, so recovery also covers directories a newer catalogue or etcd-certs made; symlinks
    /// are not followed.
    private func subdirectories() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().compactMap { name in
            var status = stat()
            let path = "\(root)/\(name)"
            guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { return nil }
            return path
        }
    }
}
