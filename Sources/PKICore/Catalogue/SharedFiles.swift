import Foundation
import PKICrypto
import PKIStore

/// One file kubeadm copies between control-plane nodes through the kubeadm-certs Secret.
public struct SharedFile: Sendable, Equatable {
    /// How an uploaded certificate must look before download writes it.
    public enum AuthorityCheck: Sendable, Equatable {
        case none
        /// A cluster CA: self-signed and CA:TRUE.
        case selfSignedCA
        /// The external etcd CA file: CA:TRUE (it may be an intermediate of the etcd cluster's PKI).
        case ca
    }

    /// kubeadm's name (`etcd/ca.crt`, `external-etcd.key`).
    public let name: String
    /// Where the file lives on this node; empty when the config names no file.
    public let path: String
    public let content: StoredFile.Kind
    /// The name of the other half of its key pair, if it has one (`ca.key` for `ca.crt`, `sa.pub` for `sa.key`).
    public let pairedWith: String?
    public let authorityCheck: AuthorityCheck
    /// The catalogue authority this file is (or is the key of), if any.
    public let authority: AuthorityName?
    /// The kubeadm config field that names the file (`etcd.external.caFile`); nil for files of the cert dir.
    public var configField: String? = nil

    /// The Secret data key: kubeadm replaces `/` with `-` (`etcd/ca.crt` → `etcd-ca.crt`).
    public var dataKey: String { name.replacingOccurrences(of: "/", with: "-") }

    public var mode: mode_t { content.mode }
}

/// kubeadm's upload list, derived from the certificate catalogue: every authority of the etcd topology
/// with its key, and the service-account key pair; with external etcd, the configured etcd CA and client pair.
public enum SharedFiles {
    public static let externalEtcdCA = "external-etcd-ca.crt"
    public static let externalEtcdCertificate = "external-etcd.crt"
    public static let externalEtcdKey = "external-etcd.key"

    /// The files for a cert dir and topology; `external` nil means stacked etcd.
    public static func list(certificatesDir: String, external: ExternalEtcd?) -> [SharedFile] {
        let directory = PKIDirectory(root: certificatesDir)
        var files: [SharedFile] = []
        func addAuthority(_ spec: AuthoritySpec) {
            let crt = spec.baseName + ".crt", key = spec.baseName + ".key"
            files.append(SharedFile(name: crt, path: directory.certificatePath(spec.baseName), content: .certificate,
                                    pairedWith: key, authorityCheck: .selfSignedCA, authority: spec.name))
            files.append(SharedFile(name: key, path: directory.keyPath(spec.baseName), content: .privateKey,
                                    pairedWith: crt, authorityCheck: .none, authority: spec.name))
        }
        // kubeadm's order: cluster and front-proxy CAs, the service-account pair, then the etcd CA.
        CertificateCatalogue.authorities.filter { !$0.requiresLocalEtcd }.forEach(addAuthority)
        let sa = CertificateCatalogue.serviceAccountKey.baseName
        files.append(SharedFile(name: sa + ".key", path: directory.keyPath(sa), content: .privateKey,
                                pairedWith: sa + ".pub", authorityCheck: .none, authority: nil))
        files.append(SharedFile(name: sa + ".pub", path: directory.publicKeyPath(sa), content: .publicKey,
                                pairedWith: sa + ".key", authorityCheck: .none, authority: nil))
        if let external {
            // An unset path uploads as an empty value, as kubeadm's missing files do.
            files.append(SharedFile(name: externalEtcdCA, path: external.caFile ?? "", content: .certificate,
                                    pairedWith: nil, authorityCheck: .ca, authority: nil, configField: "etcd.external.caFile"))
            files.append(SharedFile(name: externalEtcdCertificate, path: external.certFile ?? "", content: .certificate,
                                    pairedWith: externalEtcdKey, authorityCheck: .none, authority: nil, configField: "etcd.external.certFile"))
            files.append(SharedFile(name: externalEtcdKey, path: external.keyFile ?? "", content: .privateKey,
                                    pairedWith: externalEtcdCertificate, authorityCheck: .none, authority: nil, configField: "etcd.external.keyFile"))
        } else {
            CertificateCatalogue.authorities.filter(\.requiresLocalEtcd).forEach(addAuthority)
        }
        return files
    }

    /// The cluster CA's certificate in a list: the one the discovery hash is of.
    public static func clusterCA(in files: [SharedFile]) -> SharedFile? {
        files.first { $0.authority == .ca && $0.content == .certificate }
    }

    /// Where download-certs puts the external etcd files: the config's paths, else the cert dir under kubeadm's names.
    public static func externalDestinations(certificatesDir: String, configured: ExternalEtcd?) -> ExternalEtcd {
        ExternalEtcd(
            endpoints: configured?.endpoints ?? [],
            caFile: configured?.caFile ?? "\(certificatesDir)/\(externalEtcdCA)",
            certFile: configured?.certFile ?? "\(certificatesDir)/\(externalEtcdCertificate)",
            keyFile: configured?.keyFile ?? "\(certificatesDir)/\(externalEtcdKey)"
        )
    }
}
