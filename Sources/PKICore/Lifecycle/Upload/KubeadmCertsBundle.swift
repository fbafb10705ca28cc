import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// The data of Secret `kube-system/kubeadm-certs`: each shared file sealed with AES-256-GCM under the
/// certificate key, keyed by kubeadm's data key; an empty value stands for a file the uploader did not have.
public struct KubeadmCertsBundle: Sendable, Equatable {
    public var entries: [String: Data]

    public init(entries: [String: Data]) {
        self.entries = entries
    }

    /// Reads and seals every file; a missing file becomes an empty value, any other read failure is an error.
    public static func seal(_ files: [SharedFile], key: CertificateKey) throws -> KubeadmCertsBundle {
        var entries: [String: Data] = [:]
        for file in files {
            let contents = file.path.isEmpty ? nil : try PKIDirectory.read(file.path)
            entries[file.dataKey] = try contents.map { try AESGCM.seal($0, key: key) } ?? Data()
        }
        return KubeadmCertsBundle(entries: entries)
    }

    /// True when the entries are those of an external-etcd upload.
    public var usesExternalEtcd: Bool {
        entries.keys.contains { $0.hasPrefix("external-etcd") }
    }

    /// Decrypts the entry of every file, then checks the files belong together; nothing is written here.
    /// Returns the plaintext of every non-empty entry, keyed by file name.
    public func open(_ files: [SharedFile], key: CertificateKey, source: String) throws -> [String: Data] {
        for file in files where entries[file.dataKey] == nil {
            throw PKIError(.invalidInput, "\(source) has no entry \(file.dataKey) (\(file.name)); the upload is incomplete, run upload-certs again on a control-plane node")
        }
        var plaintexts: [String: Data] = [:]
        var failed: [String] = []
        for file in files {
            guard let sealed = entries[file.dataKey], !sealed.isEmpty else { continue }
            let opened: Data?
            do {
                opened = try AESGCM.open(sealed, key: key)
            } catch {
                throw PKIError(.tamperedBundle, "\(source) entry \(file.dataKey) is too short to be an encrypted file; the Secret is damaged, run upload-certs again")
            }
            if let opened { plaintexts[file.name] = opened } else { failed.append(file.dataKey) }
        }
        if !failed.isEmpty {
            // A wrong key fails every entry; a key that opens some entries but not others means altered data.
            if plaintexts.isEmpty {
                throw PKIError(.wrongCertificateKey, "the certificate key does not decrypt \(source); pass the key printed by upload-certs (or by `kubeadm init phase upload-certs`)")
            }
            throw PKIError(.tamperedBundle, "\(source) entry \(failed.joined(separator: ", ")) failed authentication: the Secret was altered or damaged; run upload-certs again")
        }
        try Self.validate(plaintexts, files: files, source: source)
        return plaintexts
    }

    /// Every entry parses as what it claims to be, each pair matches, and the CAs are CAs.
    static func validate(_ plaintexts: [String: Data], files: [SharedFile], source: String) throws {
        let byName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var certificates: [String: Certificate] = [:]
        var privateKeys: [String: PrivateKey] = [:]
        var publicKeys: [String: PublicKey] = [:]
        for file in files {
            guard let data = plaintexts[file.name] else { continue }
            let label = "\(source) entry \(file.dataKey)"
            do {
                switch file.content {
                case .certificate: certificates[file.name] = try Certificate(pem: data, source: label)
                case .privateKey: privateKeys[file.name] = try PrivateKey(pem: data, source: label)
                case .publicKey: publicKeys[file.name] = try PublicKey(pem: data, source: label)
                case .kubeconfig: continue
                }
            } catch let error as PKIError {
                throw PKIError(error.code, "\(error.message.components(separatedBy: ";").first ?? label); the uploaded file is not usable, check it on the uploading node")
            }
        }
        for file in files {
            guard let other = file.pairedWith.flatMap({ byName[$0] }) else { continue }
            let selfPresent = plaintexts[file.name] != nil, otherPresent = plaintexts[other.name] != nil
            if file.content == .privateKey, selfPresent, !otherPresent {
                throw PKIError(.incompleteBundle, "\(source) has \(file.dataKey) but an empty \(other.dataKey); a key without its certificate cannot be used, run upload-certs again")
            }
            guard let key = privateKeys[file.name] else { continue }
            let matches = certificates[other.name].map { key.matches($0) } ?? publicKeys[other.name].map { key.matches($0) } ?? true
            guard matches else {
                throw PKIError(.keyMismatch, "\(source): \(file.dataKey) does not match \(other.dataKey); the uploading node's files are mismatched, fix them and run upload-certs again")
            }
        }
        for file in files where file.authorityCheck != .none {
            guard let certificate = certificates[file.name] else { continue }
            let selfSigned = file.authorityCheck == .ca || certificate.isSelfSigned
            guard certificate.isCA, selfSigned else {
                let expected = file.authorityCheck == .ca ? "a CA (CA:TRUE)" : "a self-signed CA (CA:TRUE)"
                throw PKIError(.notAnAuthority, "\(source): \(file.dataKey) is not \(expected); refusing to install it as \(file.name)")
            }
        }
        guard let clusterCA = SharedFiles.clusterCA(in: files), certificates[clusterCA.name] != nil else {
            let name = SharedFiles.clusterCA(in: files)?.name ?? "the cluster CA"
            throw PKIError(.incompleteBundle, "\(source) holds no cluster CA certificate (\(name) is empty); run upload-certs on a node that has the cluster CA")
        }
    }
}
