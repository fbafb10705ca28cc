import PKICrypto
import PKIStore
/// Every certificate, key and kubeconfig of a kubeadm cluster, as data. Commands and the daemon loop over
/// these tables; none of them knows a file name, CN or usage by itself.
public enum CertificateCatalogue {
    public static let clusterCA = "ca"
    public static let frontProxyCA = "front-proxy-ca"
    public static let etcdCA = "etcd-ca"

    /// The service-account signing key pair (no certificate): `sa.key`, `sa.pub`.
    public static let serviceAccountKeyBase = "sa"

    public static let authorities: [AuthoritySpec] = [
        AuthoritySpec(name: clusterCA, baseName: "ca", commonName: "kubernetes", requiresLocalEtcd: false),
        AuthoritySpec(name: frontProxyCA, baseName: "front-proxy-ca", commonName: "front-proxy-ca", requiresLocalEtcd: false),
        AuthoritySpec(name: etcdCA, baseName: "etcd/ca", commonName: "etcd-ca", requiresLocalEtcd: true),
    ]

    public static let leaves: [LeafSpec] = [
        LeafSpec(name: "apiserver", baseName: "apiserver", longName: "certificate for serving the Kubernetes API",
                 authority: clusterCA, commonName: .fixed("kube-apiserver"), organizations: [],
                 extendedKeyUsage: [.serverAuth], sans: .apiServer, requiresLocalEtcd: false),
        LeafSpec(name: "apiserver-kubelet-client", baseName: "apiserver-kubelet-client",
                 longName: "certificate for the API server to connect to kubelet",
                 authority: clusterCA, commonName: .fixed("kube-apiserver-kubelet-client"),
                 organizations: ["kubeadm:cluster-admins"], extendedKeyUsage: [.clientAuth], sans: .none, requiresLocalEtcd: false),
        LeafSpec(name: "front-proxy-client", baseName: "front-proxy-client", longName: "certificate for the front proxy client",
                 authority: frontProxyCA, commonName: .fixed("front-proxy-client"), organizations: [],
                 extendedKeyUsage: [.clientAuth], sans: .none, requiresLocalEtcd: false),
        LeafSpec(name: "etcd-server", baseName: "etcd/server", longName: "certificate for serving etcd",
                 authority: etcdCA, commonName: .nodeName, organizations: [],
                 extendedKeyUsage: [.serverAuth, .clientAuth], sans: .etcdServer, requiresLocalEtcd: true),
        LeafSpec(name: "etcd-peer", baseName: "etcd/peer", longName: "certificate for etcd nodes to communicate with each other",
                 authority: etcdCA, commonName: .nodeName, organizations: [],
                 extendedKeyUsage: [.serverAuth, .clientAuth], sans: .etcdPeer, requiresLocalEtcd: true),
        LeafSpec(name: "etcd-healthcheck-client", baseName: "etcd/healthcheck-client",
                 longName: "certificate for liveness probes to healthcheck etcd",
                 authority: etcdCA, commonName: .fixed("kube-etcd-healthcheck-client"), organizations: [],
                 extendedKeyUsage: [.clientAuth], sans: .none, requiresLocalEtcd: true),
        LeafSpec(name: "apiserver-etcd-client", baseName: "apiserver-etcd-client",
                 longName: "certificate the apiserver uses to access etcd",
                 authority: etcdCA, commonName: .fixed("kube-apiserver-etcd-client"), organizations: [],
                 extendedKeyUsage: [.clientAuth], sans: .none, requiresLocalEtcd: true),
    ]

    /// In kubeadm's writing order.
    public static let kubeconfigs: [KubeconfigSpec] = [
        KubeconfigSpec(name: "admin.conf", longName: "certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself",
                       commonName: .fixed("kubernetes-admin"), organizations: ["kubeadm:cluster-admins"],
                       server: .controlPlaneEndpoint, renewable: true),
        KubeconfigSpec(name: "super-admin.conf", longName: "certificate embedded in the kubeconfig file for the super-admin",
                       commonName: .fixed("kubernetes-super-admin"), organizations: ["system:masters"],
                       server: .controlPlaneEndpoint, renewable: true),
        KubeconfigSpec(name: "kubelet.conf", longName: "certificate embedded in the kubeconfig file for the kubelet to use",
                       commonName: .nodeNamePrefixed("system:node:"), organizations: ["system:nodes"],
                       server: .controlPlaneEndpoint, renewable: false),
        KubeconfigSpec(name: "controller-manager.conf", longName: "certificate embedded in the kubeconfig file for the controller manager to use",
                       commonName: .fixed("system:kube-controller-manager"), organizations: [],
                       server: .localAPIServer, renewable: true),
        KubeconfigSpec(name: "scheduler.conf", longName: "certificate embedded in the kubeconfig file for the scheduler manager to use",
                       commonName: .fixed("system:kube-scheduler"), organizations: [],
                       server: .localAPIServer, renewable: true),
    ]

    /// The authorities a cluster with this etcd topology has.
    public static func authorities(for config: ClusterConfig) -> [AuthoritySpec] {
        authorities.filter { !$0.requiresLocalEtcd || !config.usesExternalEtcd }
    }

    /// The leaves a cluster with this etcd topology has.
    public static func leaves(for config: ClusterConfig) -> [LeafSpec] {
        leaves.filter { !$0.requiresLocalEtcd || !config.usesExternalEtcd }
    }

    /// The leaves signed by one authority, in catalogue order.
    public static func leaves(signedBy authority: AuthoritySpec, for config: ClusterConfig) -> [LeafSpec] {
        leaves(for: config).filter { $0.authority == authority.name }
    }

    public static func authority(named name: String) -> AuthoritySpec? {
        authorities.first { $0.name == name }
    }
}
