/// The typed names of the catalogue's rows. Every reference between rows (a certificate's signer, the
/// certificates a component loads, a health probe's client certificate) uses these, and a test checks that
/// each resolves to a row of the topology that uses it.

/// A certificate authority of the cluster, by the name kubeadm's check-expiration prints.
public enum AuthorityName: String, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case ca = "ca"
    case frontProxyCA = "front-proxy-ca"
    case etcdCA = "etcd-ca"

    public static func < (a: AuthorityName, b: AuthorityName) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }
}

/// A leaf certificate or a kubeconfig's client certificate, by the name `renew` takes.
public enum CertificateName: String, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case apiserver = "apiserver"
    case apiserverKubeletClient = "apiserver-kubelet-client"
    case frontProxyClient = "front-proxy-client"
    case etcdServer = "etcd-server"
    case etcdPeer = "etcd-peer"
    case etcdHealthcheckClient = "etcd-healthcheck-client"
    case apiserverEtcdClient = "apiserver-etcd-client"
    case adminConf = "admin.conf"
    case superAdminConf = "super-admin.conf"
    case kubeletConf = "kubelet.conf"
    case controllerManagerConf = "controller-manager.conf"
    case schedulerConf = "scheduler.conf"
    case pkidConf = "pkid.conf"

    public static func < (a: CertificateName, b: CertificateName) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }
}

/// A control-plane static pod, by its pod (and manifest) name.
public enum ComponentName: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case etcd = "etcd"
    case kubeAPIServer = "kube-apiserver"
    case kubeControllerManager = "kube-controller-manager"
    case kubeScheduler = "kube-scheduler"

    public var description: String { rawValue }
}
