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

    /// Seals every file of checked material; a file the node does not have becomes an empty value, as kubeadm uploads it.
    public static func seal(_ material: SharedMaterial, key: CertificateKey) throws -> KubeadmCertsBundle {
        var entries: [String: Data] = [:]
        for file in material.files {
            entries[file.dataKey] = try material.contents[file.name].map { try AESGCM.seal($0, key: key) } ?? Data()
        }
        return KubeadmCertsBundle(entries: entries)
    }

    /// The bytes a sealed entry adds to the Secret's data over its plaintext: the nonce and the tag.
    public static let sealingOverhead = AESGCM.nonceLength + AESGCM.tagLength

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
        for file in files where file.content == .privateKey && plaintexts[file.name] != nil {
            guard let other = file.pairedWith.flatMap({ byName[$0] }), plaintexts[other.name] == nil else { continue }
            throw PKIError(.incompleteBundle, "\(source) has \(file.dataKey) but an empty \(other.dataKey); a key without its certificate cannot be used, run upload-certs again")
        }
        let certificates: [String: Certificate]
        do {
            certificates = try SharedFileChecks.check(plaintexts, files: files) { "\(source) entry \($0.dataKey)" }
        } catch {
            switch error {
            case .unreadable(_, let cause):
                throw PKIError(cause.code, "\(SharedFileChecks.finding(cause)); the uploaded file is not usable, check it on the uploading node")
            case .mismatch(let key, let partner):
                throw PKIError(.keyMismatch, "\(source): \(key.dataKey) does not match \(partner.dataKey); the uploading node's files are mismatched, fix them and run upload-certs again")
            case .notAuthority(let file, let selfSignedRequired):
                let expected = selfSignedRequired ? "a self-signed CA (CA:TRUE)" : "a CA (CA:TRUE)"
                throw PKIError(.notAnAuthority, "\(source): \(file.dataKey) is not \(expected); refusing to install it as \(file.name)")
            }
        }
        guard let clusterCA = SharedFiles.clusterCA(in: files), certificates[clusterCA.name] != nil else {
            let name = SharedFiles.clusterCA(in: files)?.name ?? "the cluster CA"
            throw PKIError(.incompleteBundle, "\(source) holds no cluster CA certificate (\(name) is empty); run upload-certs on a node that has the cluster CA")
        }
    }
}
