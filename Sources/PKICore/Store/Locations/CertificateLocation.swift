import Foundation
import PKICrypto

/// Where one certificate of the PKI lives and how it is read and replaced: a key/cert pair under the cert dir,
/// a client certificate embedded in a kubeconfig, or a kubeconfig that points at certificate files. Init,
/// renew, scan, upload and the daemon loop over locations; none of them asks which kind it has.
public protocol CertificateLocation: Sendable {
    /// The file a person looks at: the certificate file, or the kubeconfig holding or naming it.
    var path: String { get }
    /// The files a backup keeps, with their kinds (and so their modes).
    var files: [StoredFile] { get }
    /// The certificate alone, for reports; nil when absent. Never reads a private key.
    func readCertificate() throws -> LocatedCertificate?
    /// Certificate, key and what the location says about its CA and server; nil when the certificate is absent.
    func readCredentials() throws -> StoredCredentials?
    /// True when the certificate's owner rotates it (a kubeconfig naming the kubelet's own files): pkictl tracks it
    /// and never judges, rewrites or advises removing it. Reads no certificate, so a broken rotation cannot hide it.
    func isRotatedByOwner() throws -> Bool
    /// Files that exist although the certificate does not (a key without its certificate).
    func strayFiles() -> [String]
    /// Replaces, or first writes, the certificate and its key so that no reader ever sees them mismatched;
    /// `authority` is the CA certificate a kubeconfig carries as its trust.
    func write(_ certificate: IssuedCertificate, key: PrivateKey, authority: Certificate) throws
}

/// A certificate as a report shows it: where its bytes are and, in a kubeconfig, whose it is.
public struct LocatedCertificate: Sendable {
    public let certificate: Certificate
    /// The file holding the certificate's bytes: the location's path, or the file a kubeconfig names.
    public let file: String
    /// The kubeconfig user whose certificate this is; nil for a plain pair.
    public let kubeconfigUser: String?

    public init(certificate: Certificate, file: String, kubeconfigUser: String? = nil) {
        self.certificate = certificate
        self.file = file
        self.kubeconfigUser = kubeconfigUser
    }
}

/// What a location holds.
public struct StoredCredentials: Sendable {
    public let certificate: Certificate
    /// nil when the certificate's key file is missing.
    public let key: PrivateKey?
    /// Where the key is (or should be), for messages.
    public let keyPath: String
    /// The CA bundle a kubeconfig trusts (`certificate-authority-data`); nil for a plain pair.
    public let trustedAuthorities: [Certificate]?
    /// The API server a kubeconfig talks to; nil for a plain pair.
    public let server: String?
    /// True when someone else rotates the certificate (a kubeconfig pointing at the kubelet's own files):
    /// it is tracked, never rewritten.
    public let isManagedElsewhere: Bool

    public init(certificate: Certificate, key: PrivateKey?, keyPath: String, trustedAuthorities: [Certificate]? = nil,
                server: String? = nil, isManagedElsewhere: Bool = false) {
        self.certificate = certificate
        self.key = key
        self.keyPath = keyPath
        self.trustedAuthorities = trustedAuthorities
        self.server = server
        self.isManagedElsewhere = isManagedElsewhere
    }
}

/// A file of the PKI and what it holds; the kind decides its mode (kubeadm's: keys, `sa.pub` and kubeconfigs 0600,
/// certificates 0644).
public struct StoredFile: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case certificate
        case privateKey
        case publicKey
        case kubeconfig

        public var mode: mode_t {
            switch self {
            case .certificate: AtomicFile.certificateMode
            case .privateKey: AtomicFile.keyMode
            // kubeadm writes sa.pub 0600 too.
            case .publicKey: AtomicFile.keyMode
            case .kubeconfig: AtomicFile.kubeconfigMode
            }
        }
    }

    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}
