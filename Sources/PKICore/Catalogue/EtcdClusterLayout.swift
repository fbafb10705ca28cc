import Foundation

/// How `etcd-certs` lays out an external etcd cluster's PKI: kubeadm's own etcd rows of the catalogue, made once
/// per member, so that each member's directory can be copied to its host's etcd directory as it is.
public enum EtcdClusterLayout {
    public static let authority = AuthorityName.etcdCA
    /// Made for every member, in its own directory.
    public static let memberCertificates: [CertificateName] = [.etcdServer, .etcdPeer, .etcdHealthcheckClient]
    /// Made once, for the API servers.
    public static let apiServerClient = CertificateName.apiserverEtcdClient

    /// A row's file base name in a member's directory: its kubeadm path without the `etcd/` directory (`server`).
    public static func fileBaseName(_ name: CertificateName) -> String {
        URL(fileURLWithPath: name.spec.displayName).lastPathComponent
    }

    /// The CA's file base name (`ca`).
    public static var authorityBaseName: String { URL(fileURLWithPath: authority.spec.baseName).lastPathComponent }

    /// Where kubeadm's etcd pod reads its files on a member (`/etc/kubernetes/pki/etcd`).
    public static var hostDirectory: String {
        NodeLayout.certificatesDir + "/" + URL(fileURLWithPath: authority.spec.baseName).deletingLastPathComponent().relativePath
    }

    /// kubeadm's paths of the etcd CA and the API server's client pair under a control-plane node's cert dir.
    public static func controlPlaneFiles(in certificatesDir: String) -> (ca: String, certificate: String, key: String) {
        let client = apiServerClient.spec.displayName
        return ("\(certificatesDir)/\(authority.spec.baseName).crt", "\(certificatesDir)/\(client).crt", "\(certificatesDir)/\(client).key")
    }
}
