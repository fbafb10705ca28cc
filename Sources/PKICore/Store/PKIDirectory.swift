import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The cert dir (`/etc/kubernetes/pki` by default): reads and crash-safe writes of certificates and keys.
///
/// A certificate and its key are written as a pair: both are staged as hidden `.NAME.pending` files, the
/// certificate last (its presence is the commit record), then the key and the certificate are renamed into
/// place. `completeInterruptedWrites()` finishes or discards whatever a crash left, so a certificate and its
/// key are never left mismatched.
public struct PKIDirectory: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func certificatePath(_ baseName: String) -> String { "\(root)/\(baseName).crt" }
    public func keyPath(_ baseName: String) -> String { "\(root)/\(baseName).key" }
    public func publicKeyPath(_ baseName: String) -> String { "\(root)/\(baseName).pub" }

    static let pendingSuffix = "pending"

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

    /// The bytes of `path`, nil when it does not exist; other failures are errors naming the file.
    public static func read(_ path: String) throws -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PKIError(.io, "cannot read \(path): \(error.localizedDescription); check its permissions")
        }
    }

    // MARK: Writing

    /// Writes a certificate and its key so that a crash at any instant leaves the old pair or the new pair.
    public func write(certificate: Certificate, key: PrivateKey, baseName: String) throws {
        guard key.matches(certificate) else {
            throw PKIError(.crypto, "refusing to write \(certificatePath(baseName)): the certificate does not match its new key")
        }
        try writePair(
            secondary: (keyPath(baseName), try key.pem(), AtomicFile.keyMode),
            primary: (certificatePath(baseName), try certificate.pem(), AtomicFile.certificateMode)
        )
    }

    /// Writes a bare key pair (`sa.key`, `sa.pub`) with the same pairing guarantee.
    public func write(keyPair key: PrivateKey, baseName: String) throws {
        try writePair(
            secondary: (keyPath(baseName), try key.pem(), AtomicFile.keyMode),
            primary: (publicKeyPath(baseName), try key.publicKey().pem(), AtomicFile.certificateMode)
        )
    }

    private func writePair(secondary: (String, Data, mode_t), primary: (String, Data, mode_t)) throws {
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
        try AtomicFile.commit(stagedSecondary, to: secondary.0)
        try AtomicFile.commit(stagedPrimary, to: primary.0)
    }

    // MARK: Recovery

    /// Finishes pair writes a crash interrupted after their commit point and discards those interrupted before it.
    /// Returns the paths it completed. Safe to run at any time no other pkictl is writing.
    @discardableResult
    public func completeInterruptedWrites() throws -> [String] {
        var completed: [String] = []
        for directory in [root] + subdirectories() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            let pending = Set(names.filter { $0.hasPrefix(".") && $0.hasSuffix("." + Self.pendingSuffix) })
            for name in pending.sorted() {
                let target = String(name.dropFirst().dropLast(Self.pendingSuffix.count + 1))
                let isPrimary = target.hasSuffix(".crt") || target.hasSuffix(".pub")
                guard isPrimary else {
                    // A staged key whose certificate was never staged: the pair never reached its commit point.
                    let partnerStem = String(target.dropLast(".key".count))
                    let hasPrimary = pending.contains(".\(partnerStem).crt.\(Self.pendingSuffix)")
                        || pending.contains(".\(partnerStem).pub.\(Self.pendingSuffix)")
                    if target.hasSuffix(".key") && !hasPrimary { unlink("\(directory)/\(name)") }
                    continue
                }
                let stem = String(target.dropLast(4))
                let stagedKey = "\(directory)/.\(stem).key.\(Self.pendingSuffix)"
                if FileManager.default.fileExists(atPath: stagedKey) {
                    try AtomicFile.commit(stagedKey, to: "\(directory)/\(stem).key")
                }
                try AtomicFile.commit("\(directory)/\(name)", to: "\(directory)/\(target)")
                completed.append("\(directory)/\(target)")
            }
        }
        return completed
    }

    private func subdirectories() -> [String] {
        Set(CertificateCatalogue.authorities.map(\.baseName) + CertificateCatalogue.leaves.map(\.baseName))
            .compactMap { base in
                let parent = URL(fileURLWithPath: "\(root)/\(base)").deletingLastPathComponent().path
                return parent == URL(fileURLWithPath: root).path ? nil : parent
            }
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }
}
