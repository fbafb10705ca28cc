import Foundation
import PKICrypto

/// A certificate and its key as two files under a PKI directory (`apiserver.crt`, `apiserver.key`).
public struct KeyPairLocation: CertificateLocation {
    public let directory: PKIDirectory
    /// Path under the directory without extension (`etcd/server`).
    public let baseName: String

    public init(directory: PKIDirectory, baseName: String) {
        self.directory = directory
        self.baseName = baseName
    }

    public var path: String { directory.certificatePath(baseName) }
    public var keyPath: String { directory.keyPath(baseName) }

    public var files: [StoredFile] {
        [StoredFile(path: path, kind: .certificate), StoredFile(path: keyPath, kind: .privateKey)]
    }

    public func readCertificate() throws -> LocatedCertificate? {
        try directory.readCertificate(baseName).map { LocatedCertificate(certificate: $0, file: path) }
    }

    public func readCredentials() throws -> StoredCredentials? {
        guard let certificate = try directory.readCertificate(baseName) else { return nil }
        return StoredCredentials(certificate: certificate, key: try directory.readKey(baseName), keyPath: keyPath)
    }

    public func isRotatedByOwner() -> Bool { false }

    public func strayFiles() -> [String] {
        FileManager.default.fileExists(atPath: path) || !FileManager.default.fileExists(atPath: keyPath) ? [] : [keyPath]
    }

    public func write(_ certificate: IssuedCertificate, key: PrivateKey, authority: Certificate) throws {
        try directory.write(certificate: certificate, key: key, baseName: baseName)
    }
}
