import Foundation
import PKICrypto

/// One PEM file holding a certificate and its key, as the kubelet keeps its rotating client certificate
/// (`kubelet-client-current.pem`, a symlink to the dated file of the last rotation). Its owner rotates it:
/// it is read, followed through symlinks, and never written.
public struct PEMBundleLocation: CertificateLocation {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var files: [StoredFile] { [StoredFile(path: path, kind: .privateKey)] }

    public func readCertificate() throws -> LocatedCertificate? {
        try PKIDirectory.read(path).map { LocatedCertificate(certificate: try Certificate(pem: $0, source: path), file: path) }
    }

    public func readCredentials() throws -> StoredCredentials? {
        guard let data = try PKIDirectory.read(path) else { return nil }
        return StoredCredentials(certificate: try Certificate(pem: data, source: path), key: try PrivateKey(pem: data, source: path),
                                 keyPath: path, isManagedElsewhere: true)
    }

    public func isRotatedByOwner() -> Bool { true }

    public func strayFiles() -> [String] { [] }

    public func write(_ certificate: IssuedCertificate, key: PrivateKey, authority: Certificate) throws {
        throw PKIError(.notManaged, "\(path) is rotated by its owner (the kubelet); pkictl does not write it")
    }
}
