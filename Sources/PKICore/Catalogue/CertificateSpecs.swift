import PKICrypto

/// How a certificate's common name follows from the cluster.
public enum CommonNameRule: Sendable, Equatable {
    case fixed(String)
    case nodeName
    case nodeNamePrefixed(String)

    func resolve(_ config: ClusterConfig) -> String {
        resolve(nodeName: config.nodeName)
    }

    /// The name on a given node.
    public func resolve(nodeName: String) -> String {
        switch self {
        case .fixed(let name): name
        case .nodeName: nodeName
        case .nodeNamePrefixed(let prefix): prefix + nodeName
        }
    }
}

/// Which subjectAltName rule of kubeadm a certificate follows.
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
    public let name: AuthorityName
    /// Path under the cert dir without extension (`etcd/ca`); kubeadm's progress lines use it.
    public let baseName: String
    public let commonName: String
    public let requiresLocalEtcd: Bool
}

/// A certificate the cluster's CAs sign, and where it is kept.
public struct CertificateSpec: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        /// A key/cert pair under the cert dir; `baseName` is the path without extension (`etcd/server`).
        case files(baseName: String)
        /// A kubeconfig in the kubeconfig dir holding (or naming) the client certificate.
        case kubeconfig(fileName: String, server: ServerRule)
    }

    public let name: CertificateName
    /// kubeadm's long description, used in renew output.
    public let longName: String
    public let authority: AuthorityName
    public let commonName: CommonNameRule
    public let organizations: [String]
    public let extendedKeyUsage: [ExtendedKeyUsage]
    public let sans: SANRule
    public let storage: Storage
    public let requiresLocalEtcd: Bool
    /// kubeadm never renews kubelet.conf: the kubelet rotates its own client certificate.
    public let renewable: Bool
    /// Whether `init` makes it (kubeadm's files) or an explicit command does (pkid's own kubeconfig).
    public var presence: Presence = .always

    public enum Presence: Sendable, Equatable {
        /// One of kubeadm's files: `init` writes it, a node without it is missing something.
        case always
        /// Issued on request only; tracked and renewed once it exists, absent otherwise without a complaint.
        case whenIssued
    }

    /// The file base name kubeadm's progress lines and upload names use: `etcd/server`, `admin.conf`.
    public var displayName: String {
        switch storage {
        case .files(let baseName): baseName
        case .kubeconfig(let fileName, _): fileName
        }
    }

    /// True for the certificates whose SANs kubeadm reports after generating them.
    public var isServing: Bool { sans != .none }
}

/// The service-account signing key pair: a bare key, no certificate.
public struct ServiceAccountKeySpec: Sendable, Equatable {
    /// `sa` for `sa.key` and `sa.pub`.
    public let baseName: String
}

/// A control-plane static pod and the certificates it loads at start (kubeadm's static pod manifests): renewing one
/// of them means the pod must restart to use it. etcd's pod loads server and peer only: its liveness probe is plain
/// HTTP on 127.0.0.1:2381, so etcd/healthcheck-client is for operators and probes, loaded by no pod.
public struct StaticPodComponent: Sendable, Equatable {
    public let name: ComponentName
    public let certificates: [CertificateName]
    public let health: HealthEndpoint
    /// etcd runs as a static pod only when kubeadm manages it (stacked etcd).
    public let requiresLocalEtcd: Bool
    /// The CA certificates it reads at start (its CA file flags, and the CA data of the kubeconfig it loads): a
    /// CA certificate renewed in place reaches it only through a restart.
    public var trusts: [AuthorityName] = []

    /// How to ask a component whether it is back, with the catalogue rows that authenticate the question.
    public struct HealthEndpoint: Sendable, Equatable {
        public enum Port: Sendable, Equatable {
            case fixed(Int)
            /// The API server's localAPIEndpoint.bindPort.
            case apiServerBindPort
        }
        public let port: Port
        public let path: String
        /// Presented as the client certificate; nil for none.
        public let clientCertificate: CertificateName?
        /// Verifies the server; nil when the component serves a self-signed certificate made in memory
        /// (controller-manager, scheduler), as the kubelet's own probes accept.
        public let serverAuthority: AuthorityName?
        /// The name the server certificate must carry when it is not the URL's host: the API server's
        /// certificate names "kubernetes" but not 127.0.0.1.
        public var serverName: String? = nil
    }

    /// The manifest's file name in the manifests dir.
    public var manifestFileName: String { name.rawValue + ".yaml" }
}
