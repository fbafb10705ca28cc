import PKICrypto
import PKIStore
/// How a certificate's common name follows from the cluster.
public enum CommonNameRule: Sendable, Equatable {
    case fixed(String)
    case nodeName
    case nodeNamePrefixed(String)

    func resolve(_ config: ClusterConfig) -> String {
        switch self {
        case .fixed(let name): name
        case .nodeName: config.nodeName
        case .nodeNamePrefixed(let prefix): prefix + config.nodeName
        }
    }
}

/// Which subjectAltName rule of kubeadm a leaf follows.
public enum SANRule: Sendable, Equatable {
    case none
    case apiServer
    case etcdServer
    case etcdPeer
}

/// Where a kubeconfig's `server` points.
public enum ServerRule: Sendable, Equatable {
    /// controlPlaneEndpoint when set, else this node's API server.
    case controlPlaneEndpoint
    /// Always this node's API server (advertise address and bind port).
    case localAPIServer
}

/// A self-signed certificate authority of the cluster.
public struct AuthoritySpec: Sendable, Equatable {
    /// Catalogue name, as kubeadm's check-expiration prints it (`etcd-ca`).
    public let name: String
    /// Path under the cert dir without extension (`etcd/ca`); kubeadm's progress lines use it.
    public let baseName: String
    public let commonName: String
    public let requiresLocalEtcd: Bool
}

/// A leaf certificate and key kept as files under the cert dir.
public struct LeafSpec: Sendable, Equatable {
    /// Catalogue name, as `renew` takes it (`etcd-server`).
    public let name: String
    /// Path under the cert dir without extension (`etcd/server`).
    public let baseName: String
    /// kubeadm's long description, used in renew output.
    public let longName: String
    /// `AuthoritySpec.name` of the signer.
    public let authority: String
    public let commonName: CommonNameRule
    public let organizations: [String]
    public let extendedKeyUsage: [ExtendedKeyUsage]
    public let sans: SANRule
    public let requiresLocalEtcd: Bool
}

/// A kubeconfig file with an embedded client certificate signed by `ca`.
public struct KubeconfigSpec: Sendable, Equatable {
    /// File name under the kubeconfig dir, also its catalogue name (`admin.conf`).
    public let name: String
    public let longName: String
    public let commonName: CommonNameRule
    public let organizations: [String]
    public let server: ServerRule
    /// kubeadm never renews kubelet.conf: the kubelet rotates its own client certificate.
    public let renewable: Bool
}
