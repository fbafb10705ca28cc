import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// The files of one CA's rotation, beside the CA under the cert dir (`ca`, `front-proxy-ca`, `etcd/ca`):
///
/// - `<ca>.crt`/`<ca>.key`: the CA in place. During a rotation the certificate file is a bundle whose first
///   certificate is the one matching the key (what kubeadm and every signer read), followed by the other CA.
/// - `<ca>-next.crt`/`<ca>-next.key`: the new CA, self-signed, staged by prepare and removed by finish.
/// - `<ca>-cross.crt`: the new CA's key certified by the old CA, so that a client holding only the old CA verifies
///   what the new one signs; serving certificates carry it as their chain between reissue and finish.
/// - `ca-signing.crt`/`ca-signing.key` (the cluster CA only): exactly one certificate and its key, for
///   kube-controller-manager's `--cluster-signing-cert-file` and `--client-ca-file`, which refuse a bundle.
public struct CARotationFiles: Sendable {
    public let authority: AuthorityName
    public let directory: PKIDirectory

    public init(authority: AuthorityName, directory: PKIDirectory) {
        self.authority = authority
        self.directory = directory
    }

    public static let nextSuffix = "-next"
    public static let crossSuffix = "-cross"
    public static let signingSuffix = "-signing"

    var baseName: String { authority.spec.baseName }
    var nextBaseName: String { baseName + Self.nextSuffix }
    var crossBaseName: String { baseName + Self.crossSuffix }
    var signingBaseName: String { baseName + Self.signingSuffix }

    public var certificatePath: String { directory.certificatePath(baseName) }
    public var keyPath: String { directory.keyPath(baseName) }
    public var nextCertificatePath: String { directory.certificatePath(nextBaseName) }
    public var nextKeyPath: String { directory.keyPath(nextBaseName) }
    public var crossPath: String { directory.certificatePath(crossBaseName) }
    public var signingCertificatePath: String { directory.certificatePath(signingBaseName) }
    public var signingKeyPath: String { directory.keyPath(signingBaseName) }

    /// Only the cluster CA has consumers that take exactly one certificate.
    public var hasSingleCertificateConsumers: Bool { authority == .ca }

    /// Every file a rotation writes or removes, for backups.
    var allFiles: [StoredFile] {
        [StoredFile(path: certificatePath, kind: .certificate), StoredFile(path: keyPath, kind: .privateKey),
         StoredFile(path: nextCertificatePath, kind: .certificate), StoredFile(path: nextKeyPath, kind: .privateKey),
         StoredFile(path: crossPath, kind: .certificate)]
            + (hasSingleCertificateConsumers ? [StoredFile(path: signingCertificatePath, kind: .certificate), StoredFile(path: signingKeyPath, kind: .privateKey)] : [])
    }

    /// True while a rotation is staged (prepare ran, finish has not).
    public var isUnderWay: Bool { FileManager.default.fileExists(atPath: nextCertificatePath) }

    /// The chain a serving certificate signed by `signer` carries: the cross-signed certificate while the new CA
    /// signs and the old one is still trusted somewhere (between reissue and finish); nil otherwise.
    func servingChain(signedBy signer: SigningAuthority) throws -> Data? {
        guard isUnderWay, let data = try PKIDirectory.read(crossPath) else { return nil }
        let cross = try Certificate(pem: data, source: crossPath)
        return signer.key.matches(cross) ? data : nil
    }

    /// What the files hold, read and checked for consistency.
    struct Contents {
        /// The CA file's certificates, in order.
        let bundle: [Certificate]
        let key: PrivateKey
        let next: SigningAuthority?
        let cross: Certificate?

        var inPlace: Certificate { bundle[0] }
        var signsWithNext: Bool { next.map { key.matches($0.certificate) } ?? false }
    }

    func read() throws -> Contents {
        // Only a writer under the PKI lock finishes a killed swap; until then the files are not judged.
        for path in [certificatePath, nextCertificatePath, signingCertificatePath] where PKIDirectory.hasInterruptedWrite(path) {
            throw PKIError(.fileConflict, "a write of \(path) was interrupted; run pkictl ca rotate \(authority) again with the phase that was running: it completes the write first")
        }
        guard let data = try PKIDirectory.read(certificatePath) else {
            throw PKIError(.missingCertificate, "CA certificate \(certificatePath) is missing; restore it before rotating \(authority)")
        }
        let bundle = try Certificate.parseAll(pem: data, source: certificatePath)
        guard let key = try directory.readKey(baseName) else {
            throw PKIError(.missingKey, "\(keyPath) is missing: \(authority) is an external CA here; rotate it where its key is kept")
        }
        guard key.matches(bundle[0]) else {
            throw PKIError(.keyMismatch, "\(keyPath) does not match the first certificate of \(certificatePath); restore the matching pair from the backup")
        }
        for certificate in bundle where !(certificate.isCA && certificate.isSelfSigned) {
            throw PKIError(.notAnAuthority, "\(certificatePath) holds \(certificate.subject), which is not a self-signed CA certificate; only a root CA is rotated")
        }
        var next: SigningAuthority?
        if let nextCertificate = try directory.readCertificate(nextBaseName) {
            guard let nextKey = try directory.readKey(nextBaseName) else {
                throw PKIError(.missingKey, "\(nextCertificatePath) exists without \(nextKeyPath); copy both from the node that ran prepare, or remove both and run prepare again")
            }
            next = try SigningAuthority(certificate: nextCertificate, key: nextKey, source: nextKeyPath)
            guard nextCertificate.isCA, nextCertificate.isSelfSigned else {
                throw PKIError(.notAnAuthority, "\(nextCertificatePath) is not a self-signed CA certificate; remove it and \(nextKeyPath) and run prepare again")
            }
        } else if FileManager.default.fileExists(atPath: nextKeyPath) {
            throw PKIError(.missingCertificate, "\(nextKeyPath) exists without \(nextCertificatePath); copy both from the node that ran prepare, or remove it and run prepare again")
        }
        let cross = try PKIDirectory.read(crossPath).map { try Certificate(pem: $0, source: crossPath) }
        return Contents(bundle: bundle, key: key, next: next, cross: cross)
    }

    /// The rotation state the files show. A mix no phase leaves is an error naming the files.
    func state(_ contents: Contents) throws -> CARotationState {
        guard let next = contents.next else {
            guard contents.bundle.count == 1 else {
                throw PKIError(.invalidInput, "\(certificatePath) holds \(contents.bundle.count) certificates but no rotation is staged (\(nextCertificatePath) is missing); keep only the certificate that matches \(keyPath)")
            }
            return .idle
        }
        if !contents.signsWithNext {
            guard contents.bundle.count <= 2, contents.bundle.allSatisfy({ $0.isSameCertificate(as: contents.inPlace) || CARenewal.sameAuthority($0, next.certificate) }) else {
                throw PKIError(.invalidInput, "\(certificatePath) holds certificates of neither the CA in place nor \(nextCertificatePath); restore it from the backup")
            }
            return contents.bundle.count == 2 ? .trusted : .prepared
        }
        if contents.bundle.count == 1 { return .finishing }
        return .reissuing
    }
}

/// Where one CA's rotation is, as the files show it.
public enum CARotationState: String, Sendable, Codable, Equatable, CaseIterable {
    /// One CA, nothing staged (never rotated, or a rotation finished).
    case idle
    /// The new CA is staged; nothing trusts it yet.
    case prepared
    /// Every copy on this node trusts the old and the new CA; the old one still signs.
    case trusted
    /// The new CA signs; what the old one signed is being (or has been) issued again.
    case reissuing
    /// Everything the old CA signed here is issued by the new one.
    case reissued
    /// The old CA is leaving the bundles.
    case finishing

    /// The last phase this state completes; nil before prepare.
    public var completed: CARotationPhase? {
        switch self {
        case .idle: nil
        case .prepared: .prepare
        case .trusted, .reissuing: .trust
        case .reissued, .finishing: .reissue
        }
    }

    /// The phase that runs next here.
    public var next: CARotationPhase {
        switch self {
        case .idle: .prepare
        case .prepared: .trust
        case .trusted, .reissuing: .reissue
        case .reissued, .finishing: .finish
        }
    }
}

/// The four phases of a CA rotation, in order.
public enum CARotationPhase: String, Sendable, Codable, CaseIterable, Comparable {
    case prepare, trust, reissue, finish

    public static func < (a: CARotationPhase, b: CARotationPhase) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }

    /// The phase before this one; nil for prepare.
    public var previous: CARotationPhase? {
        guard let index = Self.allCases.firstIndex(of: self), index > 0 else { return nil }
        return Self.allCases[index - 1]
    }
}
