import PKICrypto

/// Every certificate, key, kubeconfig and static pod of a kubeadm control-plane node, as data. Commands and the
/// daemon loop over these tables; none of them knows a file name, CN, usage or component by itself. Each row is
/// written once, in the exhaustive switch of its typed name, so every name has exactly one row.
public enum CertificateCatalogue {
    public static let authorities: [AuthoritySpec] = AuthorityName.allCases.map(\.spec)

    /// Key pairs under the cert dir in kubeadm's order, then kubeconfigs in kubeadm's writing order: what `init`
    /// writes and kubeadm's reports list.
    public static let certificates: [CertificateSpec] = CertificateName.allCases.map(\.spec).filter { $0.presence == .always }

    /// Rows an explicit command issues (pkid's kubeconfig): tracked and renewed like the others once they exist.
    public static let issuedOnRequest: [CertificateSpec] = CertificateName.allCases.map(\.spec).filter { $0.presence == .whenIssued }

    /// The static pods in the only safe restart order (a component after what it depends on).
    public static let components: [StaticPodComponent] = ComponentName.allCases.map(\.spec)

    public static let serviceAccountKey = ServiceAccountKeySpec(baseName: "sa")

    /// keyUsage of every CA, and of every certificate a CA here signs (kubeadm's, also for renewals).
    public static let authorityKeyUsage: KeyUsage = [.digitalSignature, .keyEncipherment, .keyCertSign]
    public static let certificateKeyUsage: KeyUsage = [.digitalSignature, .keyEncipherment]

    /// The order in which kubeadm names the static pods after `certs renew`.
    public static let kubeadmRestartNotice: [ComponentName] = [.kubeAPIServer, .kubeControllerManager, .kubeScheduler, .etcd]

    /// The authorities a cluster with this etcd topology has.
    public static func authorities(for config: ClusterConfig) -> [AuthoritySpec] {
        authorities.filter { !$0.requiresLocalEtcd || !config.usesExternalEtcd }
    }

    /// The certificates a cluster with this etcd topology has.
    public static func certificates(for config: ClusterConfig) -> [CertificateSpec] {
        certificates.filter { !$0.requiresLocalEtcd || !config.usesExternalEtcd }
    }

    /// Every name `renew` accepts for this cluster, sorted as kubeadm sorts its output, then the rows issued on
    /// request.
    public static func renewableNames(for config: ClusterConfig) -> [CertificateName] {
        certificates(for: config).filter(\.renewable).map(\.name).sorted() + issuedOnRequest.map(\.name)
    }

    /// The static pods a cluster with this etcd topology has.
    public static func components(for config: ClusterConfig) -> [StaticPodComponent] {
        components.filter { !$0.requiresLocalEtcd || !config.usesExternalEtcd }
    }

    /// The components that load any of `renewed`, in restart order.
    public static func components(loading renewed: some Collection<CertificateName>) -> [StaticPodComponent] {
        components.filter { component in component.certificates.contains { renewed.contains($0) } }
    }

    /// Key pairs under the cert dir (`leaves` in kubeadm's words), in catalogue order.
    public static var leaves: [CertificateSpec] {
        certificates.filter { if case .files = $0.storage { true } else { false } }
    }

    /// Kubeconfig files, in kubeadm's writing order.
    public static var kubeconfigs: [CertificateSpec] {
        certificates.filter { if case .kubeconfig = $0.storage { true } else { false } }
    }
}

extension AuthorityName {
    public var spec: AuthoritySpec {
        switch self {
        case .ca: AuthoritySpec(name: self, baseName: "ca", commonName: "kubernetes", requiresLocalEtcd: false)
        case .frontProxyCA: AuthoritySpec(name: self, baseName: "front-proxy-ca", commonName: "front-proxy-ca", requiresLocalEtcd: false)
        case .etcdCA: AuthoritySpec(name: self, baseName: "etcd/ca", commonName: "etcd-ca", requiresLocalEtcd: true)
        }
    }
}

extension CertificateName {
    public var spec: CertificateSpec {
        switch self {
        case .apiserver:
            CertificateSpec(
                name: self, longName: "certificate for serving the Kubernetes API", authority: .ca,
                commonName: .fixed("kube-apiserver"), organizations: [], extendedKeyUsage: [.serverAuth],
                sans: .apiServer, storage: .files(baseName: "apiserver"), requiresLocalEtcd: false, renewable: true
            )
        case .apiserverKubeletClient:
            CertificateSpec(
                name: self, longName: "certificate for the API server to connect to kubelet", authority: .ca,
                commonName: .fixed("kube-apiserver-kubelet-client"), organizations: ["kubeadm:cluster-admins"],
                extendedKeyUsage: [.clientAuth], sans: .none, storage: .files(baseName: "apiserver-kubelet-client"),
                requiresLocalEtcd: false, renewable: true
            )
        case .frontProxyClient:
            CertificateSpec(
                name: self, longName: "certificate for the front proxy client", authority: .frontProxyCA,
                commonName: .fixed("front-proxy-client"), organizations: [], extendedKeyUsage: [.clientAuth],
                sans: .none, storage: .files(baseName: "front-proxy-client"), requiresLocalEtcd: false,
                renewable: true
            )
        case .etcdServer:
            CertificateSpec(
                name: self, longName: "certificate for serving etcd", authority: .etcdCA, commonName: .nodeName,
                organizations: [], extendedKeyUsage: [.serverAuth, .clientAuth], sans: .etcdServer,
                storage: .files(baseName: "etcd/server"), requiresLocalEtcd: true, renewable: true
            )
        case .etcdPeer:
            CertificateSpec(
                name: self, longName: "certificate for etcd nodes to communicate with each other", authority: .etcdCA,
                commonName: .nodeName, organizations: [], extendedKeyUsage: [.serverAuth, .clientAuth],
                sans: .etcdPeer, storage: .files(baseName: "etcd/peer"), requiresLocalEtcd: true, renewable: true
            )
        case .etcdHealthcheckClient:
            CertificateSpec(
                name: self, longName: "certificate for liveness probes to healthcheck etcd", authority: .etcdCA,
                commonName: .fixed("kube-etcd-healthcheck-client"), organizations: [], extendedKeyUsage: [.clientAuth],
                sans: .none, storage: .files(baseName: "etcd/healthcheck-client"), requiresLocalEtcd: true,
                renewable: true
            )
        case .apiserverEtcdClient:
            CertificateSpec(
                name: self, longName: "certificate the apiserver uses to access etcd", authority: .etcdCA,
                commonName: .fixed("kube-apiserver-etcd-client"), organizations: [], extendedKeyUsage: [.clientAuth],
                sans: .none, storage: .files(baseName: "apiserver-etcd-client"), requiresLocalEtcd: true,
                renewable: true
            )
        case .adminConf:
            CertificateSpec(
                name: self,
                longName: "certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself",
                authority: .ca, commonName: .fixed("kubernetes-admin"), organizations: ["kubeadm:cluster-admins"],
                extendedKeyUsage: [.clientAuth], sans: .none,
                storage: .kubeconfig(fileName: "admin.conf", server: .controlPlaneEndpoint), requiresLocalEtcd: false,
                renewable: true
            )
        case .superAdminConf:
            CertificateSpec(
                name: self, longName: "certificate embedded in the kubeconfig file for the super-admin",
                authority: .ca, commonName: .fixed("kubernetes-super-admin"), organizations: ["system:masters"],
                extendedKeyUsage: [.clientAuth], sans: .none,
                storage: .kubeconfig(fileName: "super-admin.conf", server: .controlPlaneEndpoint),
                requiresLocalEtcd: false, renewable: true
            )
        case .kubeletConf:
            CertificateSpec(
                name: self, longName: "certificate embedded in the kubeconfig file for the kubelet to use",
                authority: .ca, commonName: .nodeNamePrefixed("system:node:"), organizations: ["system:nodes"],
                extendedKeyUsage: [.clientAuth], sans: .none,
                storage: .kubeconfig(fileName: "kubelet.conf", server: .controlPlaneEndpoint),
                requiresLocalEtcd: false, renewable: false
            )
        case .controllerManagerConf:
            CertificateSpec(
                name: self, longName: "certificate embedded in the kubeconfig file for the controller manager to use",
                authority: .ca, commonName: .fixed("system:kube-controller-manager"), organizations: [],
                extendedKeyUsage: [.clientAuth], sans: .none,
                storage: .kubeconfig(fileName: "controller-manager.conf", server: .localAPIServer),
                requiresLocalEtcd: false, renewable: true
            )
        case .schedulerConf:
            CertificateSpec(
                name: self, longName: "certificate embedded in the kubeconfig file for the scheduler manager to use",
                authority: .ca, commonName: .fixed("system:kube-scheduler"), organizations: [],
                extendedKeyUsage: [.clientAuth], sans: .none,
                storage: .kubeconfig(fileName: "scheduler.conf", server: .localAPIServer), requiresLocalEtcd: false,
                renewable: true
            )
        case .pkidConf:
            // Talks to the API through controlPlaneEndpoint, so it still reaches one while the local API server
            // restarts. No group: `pkictl rbac` grants the user exactly the Lease and ConfigMaps it needs.
            CertificateSpec(
                name: self, longName: "certificate embedded in the kubeconfig file for pkid's cluster coordination",
                authority: .ca, commonName: .nodeNamePrefixed("system:pkid:"), organizations: [],
                extendedKeyUsage: [.clientAuth], sans: .none,
                storage: .kubeconfig(fileName: "pkid.conf", server: .controlPlaneEndpoint), requiresLocalEtcd: false,
                renewable: true, presence: .whenIssued
            )
        }
    }
}

extension ComponentName {
    public var spec: StaticPodComponent {
        switch self {
        case .etcd:
            StaticPodComponent(
                name: self, certificates: [.etcdServer, .etcdPeer],
                health: .init(port: .fixed(2379), path: "/health", clientCertificate: .etcdHealthcheckClient, serverAuthority: .etcdCA),
                requiresLocalEtcd: true, trusts: [.etcdCA]
            )
        case .kubeAPIServer:
            StaticPodComponent(
                name: self,
                certificates: [.apiserver, .apiserverKubeletClient, .apiserverEtcdClient, .frontProxyClient],
                health: .init(port: .apiServerBindPort, path: "/readyz", clientCertificate: .apiserverKubeletClient, serverAuthority: .ca, serverName: "kubernetes"),
                requiresLocalEtcd: false, trusts: [.ca, .etcdCA, .frontProxyCA]
            )
        case .kubeControllerManager:
            StaticPodComponent(
                name: self, certificates: [.controllerManagerConf],
                health: .init(port: .fixed(10257), path: "/healthz", clientCertificate: nil, serverAuthority: nil),
                requiresLocalEtcd: false, trusts: [.ca, .frontProxyCA]
            )
        case .kubeScheduler:
            StaticPodComponent(
                name: self, certificates: [.schedulerConf],
                health: .init(port: .fixed(10259), path: "/healthz", clientCertificate: nil, serverAuthority: nil),
                requiresLocalEtcd: false, trusts: [.ca]
            )
        }
    }
}
