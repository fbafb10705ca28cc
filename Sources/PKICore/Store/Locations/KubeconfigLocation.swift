import Foundation
import PKICrypto

/// A kubeconfig file and the client certificate of its current context: embedded (what kubeadm writes and
/// renews) or in files it names (kubelet.conf once the kubelet rotates its own certificate). Files are followed
/// for reading only.
public struct KubeconfigLocation: CertificateLocation {
    /// What a kubeconfig written from scratch says besides the credentials.
    public struct Identity: Sendable, Equatable {
        public var clusterName: String
        public var server: String
        public var userName: String

        public init(clusterName: String, server: String, userName: String) {
            self.clusterName = clusterName
            self.server = server
            self.userName = userName
        }
    }

    public let path: String
    /// Computed only when the file must be created, so reading or renewing never needs what creating does.
    public let identity: @Sendable () throws -> Identity

    public init(path: String, identity: @escaping @Sendable () throws -> Identity) {
        self.path = path
        self.identity = identity
    }

    public var files: [StoredFile] { [StoredFile(path: path, kind: .kubeconfig)] }

    /// The parsed file, nil when it does not exist.
    public func read() throws -> Kubeconfig? {
        try PKIDirectory.read(path).map { try Kubeconfig.parse($0, source: path) }
    }

    public func readCertificate() throws -> LocatedCertificate? {
        guard let kubeconfig = try read() else { return nil }
        switch kubeconfig.credentials {
        case .embedded(let certificate, _):
            return LocatedCertificate(certificate: try Certificate(pem: certificate, source: "\(path) client-certificate-data"),
                                      file: path, kubeconfigUser: kubeconfig.userName)
        case .files(let certificate, _):
            let file = resolve(certificate)
            return LocatedCertificate(certificate: try Certificate(pem: try referenced(certificate, what: "client-certificate"), source: file),
                                      file: file, kubeconfigUser: kubeconfig.userName)
        }
    }

    public func readCredentials() throws -> StoredCredentials? {
        guard let kubeconfig = try read() else { return nil }
        let authorities = try kubeconfig.certificateAuthority.map {
            try Certificate.parseAll(pem: $0, source: "\(path) certificate-authority-data")
        }
        switch kubeconfig.credentials {
        case .embedded(let certificate, let key):
            return StoredCredentials(
                certificate: try Certificate(pem: certificate, source: "\(path) client-certificate-data"),
                key: try PrivateKey(pem: key, source: "\(path) client-key-data"), keyPath: "\(path) client-key-data",
                trustedAuthorities: authorities, server: kubeconfig.server)
        case .files(let certificate, let key):
            let keyFile = resolve(key)
            return StoredCredentials(
                certificate: try Certificate(pem: try referenced(certificate, what: "client-certificate"), source: resolve(certificate)),
                key: try PKIDirectory.read(keyFile).map { try PrivateKey(pem: $0, source: keyFile) }, keyPath: keyFile,
                trustedAuthorities: authorities, server: kubeconfig.server, isManagedElsewhere: true)
        }
    }

    public func isRotatedByOwner() throws -> Bool {
        guard let kubeconfig = try read(), case .files = kubeconfig.credentials else { return false }
        return true
    }

    public func strayFiles() -> [String] { [] }

    public func write(_ certificate: IssuedCertificate, key: PrivateKey, authority: Certificate) throws {
        let updated: Data
        if let original = try PKIDirectory.read(path) {
            // A bundle that holds this CA (a rotation under way) stays as it is.
            let bundle = try Kubeconfig.parse(original, source: path).certificateAuthority.flatMap { data in
                (try? Certificate.parseAll(pem: data, source: path)).flatMap { $0.count > 1 && $0.contains { $0.isSameCertificate(as: authority) } ? data : nil }
            }
            updated = try Kubeconfig.updatingCredentials(original, source: path, certificateAuthority: try bundle ?? authority.pem(),
                                                         clientCertificate: certificate.pem(), clientKey: try key.pem())
        } else {
            let identity = try identity()
            updated = try Kubeconfig(clusterName: identity.clusterName, server: identity.server, certificateAuthority: try authority.pem(),
                                     userName: identity.userName, clientCertificate: certificate.pem(), clientKey: try key.pem()).rendered()
            try AtomicFile.createDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
        try AtomicFile.write(updated, to: path, mode: StoredFile.Kind.kubeconfig.mode)
    }

    /// client-go reads relative paths against the kubeconfig's own directory.
    private func resolve(_ file: String) -> String {
        file.hasPrefix("/") ? file : URL(fileURLWithPath: path).deletingLastPathComponent().path + "/" + file
    }

    private func referenced(_ file: String, what: String) throws -> Data {
        let resolved = resolve(file)
        guard let data = try PKIDirectory.read(resolved) else {
            throw PKIError(.fileNotFound, "\(resolved), the \(what) named by kubeconfig \(path), does not exist; check the kubelet's certificate rotation")
        }
        return data
    }
}
