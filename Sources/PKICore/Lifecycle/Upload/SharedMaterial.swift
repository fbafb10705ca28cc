import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// The shared files as this node has them, read and checked the way a joining node will use them, before anything
/// is sealed: every file is bounded in size and parses as what it claims to be, every key matches its certificate
/// (sa.key its sa.pub), every CA is a CA valid today, and the whole fits in one Secret. Whatever is wrong is refused
/// here, with the file named, instead of being uploaded for the joining node to refuse.
public struct SharedMaterial: Sendable {
    public let files: [SharedFile]
    /// The bytes of every file this node has, keyed by file name.
    public let contents: [String: Data]
    /// Files uploaded as empty values: a CA key this node lacks (external CA mode), an external etcd file the config
    /// does not name.
    public let absent: [SharedFile]

    /// The largest file of each kind pkictl uploads: a certificate file may be a bundle, a key is one PEM block
    /// (an RSA-16384 key is 12.6 KiB).
    public static func sizeLimit(_ content: StoredFile.Kind) -> Int {
        content == .certificate ? 512 << 10 : 64 << 10
    }

    public static func collect(_ files: [SharedFile], now: Date) throws -> SharedMaterial {
        var contents: [String: Data] = [:]
        for file in files where !file.path.isEmpty {
            let expected = BoundedFile.Expectation(what: description(file.content), limit: sizeLimit(file.content), advice: advice(file))
            guard let data = try BoundedFile.read(file.path, expected) else { continue }
            guard data.contains(where: { !Character(UnicodeScalar($0)).isWhitespace }) else {
                throw PKIError(file.content == .certificate ? .unreadableCertificate : .unreadableKey, "\(file.path) is empty; \(expected.advice)")
            }
            contents[file.name] = data
        }
        let absent = try presence(files, contents)
        let certificates: [String: Certificate]
        do {
            certificates = try SharedFileChecks.check(contents, files: files) { $0.path }
        } catch {
            throw refusal(error)
        }
        for file in files {
            guard let certificate = certificates[file.name] else { continue }
            try checkPeriod(certificate, file, now: now)
        }
        let material = SharedMaterial(files: files, contents: contents, absent: absent)
        try material.checkSecretSize()
        return material
    }

    /// Which files may be absent: a CA key (external CA mode, as kubeadm's upload leaves it empty) and an external
    /// etcd file the config does not name. Anything else a joining node needs is refused when missing; returns the
    /// files uploaded empty.
    static func presence(_ files: [SharedFile], _ contents: [String: Data]) throws -> [SharedFile] {
        let byName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var absent: [SharedFile] = []
        for file in files where contents[file.name] == nil {
            let partner = file.pairedWith.flatMap { byName[$0] }
            let partnerPresent = partner.map { contents[$0.name] != nil } ?? false
            if file.path.isEmpty {
                // The config names no such file: kubeadm uploads an empty value; its partner must be absent too.
                if let partner, partnerPresent, let field = file.configField {
                    throw PKIError(.fileNotFound, "--config sets \(partner.configField ?? partner.name) but not \(field); name both files of the etcd client pair, or neither")
                }
                absent.append(file)
                continue
            }
            if file == SharedFiles.clusterCA(in: files) {
                throw PKIError(.fileNotFound, "no cluster CA at \(file.path); pass --cert-dir DIR of a control-plane node (or run init-ca first)")
            }
            if file.authority != nil, file.content == .privateKey, !partnerPresent {
                continue  // reported for its certificate
            }
            if file.authority != nil, file.content == .privateKey {
                absent.append(file)  // external CA mode: the certificate goes alone
                continue
            }
            throw PKIError(.fileNotFound, missingMessage(file, partner: partnerPresent ? partner : nil, files: files))
        }
        return absent
    }

    private static func missingMessage(_ file: SharedFile, partner: SharedFile?, files: [SharedFile]) -> String {
        if let field = file.configField {
            return "\(file.path) (\(field) in --config) does not exist; fix the path in the config or put the file there"
        }
        if let partner {
            let derive = file.content == .publicKey ? " (`openssl pkey -in \(partner.path) -pubout -out \(file.path)`)" : ""
            return "\(file.path) does not exist but \(partner.path) does; restore \(file.name) from a backup or from another control-plane node\(derive)"
        }
        if let authority = file.authority {
            let etcd = authority.spec.requiresLocalEtcd ? ", or pass --config with etcd.external if etcd runs outside the cluster" : ""
            return "\(file.path) does not exist, so a joining node would make a \(authority) of its own that nothing trusts; copy it and its key from the control-plane node that has them\(etcd)"
        }
        return "\(file.path) does not exist, so a joining node would make a pair of its own that the other control-plane nodes do not share; copy \(file.name) and its partner from another control-plane node"
    }

    /// A certificate outside its validity period: kubeadm only warns, and the joining node's components then fail.
    private static func checkPeriod(_ certificate: Certificate, _ file: SharedFile, now: Date) throws {
        if certificate.notAfter < now {
            throw PKIError(.expired, "\(file.path) expired at \(KubeadmCertsObjects.rfc3339(certificate.notAfter)); renew it before adding control-plane nodes")
        }
        if certificate.notBefore > now {
            throw PKIError(.notYetValid, "\(file.path) is not valid before \(KubeadmCertsObjects.rfc3339(certificate.notBefore)); check this node's clock")
        }
    }

    /// Kubernetes stores at most 1 MiB of data (decoded) in one Secret; the API server would refuse more.
    func checkSecretSize() throws {
        let sizes = files.compactMap { file in contents[file.name].map { (file, $0.count + KubeadmCertsBundle.sealingOverhead) } }
        let total = sizes.reduce(0) { $0 + $1.1 }
        guard total > Secret.maxDataBytes else { return }
        let largest = sizes.sorted { $0.1 > $1.1 }.prefix(2).map { "\($0.0.path) (\(BoundedFile.describe(bytes: $0.1)))" }
        throw PKIError(.secretTooLarge, "the \(KubeadmObjects.certsSecret) Secret would hold \(total) bytes, more than the \(BoundedFile.describe(bytes: Secret.maxDataBytes)) Kubernetes stores in one Secret; the largest files are \(largest.joined(separator: " and ")): keep only the certificates that belong in them")
    }

    private static func refusal(_ problem: SharedFileProblem) -> PKIError {
        switch problem {
        case .unreadable(let file, let cause):
            return PKIError(cause.code, "\(SharedFileChecks.finding(cause)); \(advice(file))")
        case .mismatch(let key, let partner):
            return PKIError(.keyMismatch, "\(key.path) does not match \(partner.path); restore both from the same backup or copy both from another control-plane node")
        case .notAuthority(let file, let selfSignedRequired):
            let expected = selfSignedRequired ? "a self-signed CA certificate (CA:TRUE)" : "a CA certificate (CA:TRUE)"
            return PKIError(.notAnAuthority, "\(file.path) is not \(expected); put the CA's own certificate there, not one it signed")
        }
    }

    private static func description(_ content: StoredFile.Kind) -> String {
        switch content {
        case .certificate: "certificate file"
        case .privateKey: "private key file"
        case .publicKey: "public key file"
        case .kubeconfig: "kubeconfig"
        }
    }

    private static func advice(_ file: SharedFile) -> String {
        if let field = file.configField {
            return "point \(field) in --config at the real file"
        }
        return "restore \(file.name) from a backup or copy it from another control-plane node"
    }
}
