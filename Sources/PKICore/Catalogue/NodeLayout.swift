/// Where a kubeadm control-plane node keeps things: the defaults that flags and the kubeadm config override.
public enum NodeLayout {
    public static let certificatesDir = "/etc/kubernetes/pki"
    public static let kubeconfigDir = "/etc/kubernetes"
    public static let manifestsDir = "/etc/kubernetes/manifests"
    /// The kubelet's own rotating client certificate (certificate and key in one PEM), a symlink the kubelet
    /// re-points at each rotation. kubeadm's report leaves it out; pkictl tracks it.
    public static let kubeletClientCertificate = "/var/lib/kubelet/pki/kubelet-client-current.pem"

    /// The kubelet's name for one rotation's file beside that symlink: `kubelet-client-<suffix>.pem`.
    public static func kubeletClientFile(_ suffix: String) -> String { "kubelet-client-\(suffix).pem" }

    /// kubeadm's stacked etcd member serves clients here (besides its advertise address).
    public static let localEtcdClientURL = "https://127.0.0.1:2379"

    /// admin.conf where kubeadm writes it: the kubeconfig to name in advice about API access.
    public static var adminKubeconfig: String {
        kubeconfigDir + "/" + CertificateName.adminConf.spec.displayName
    }
}

/// The objects kubeadm's upload-certs creates in the cluster, and where.
public enum KubeadmObjects {
    public static let namespace = "kube-system"
    /// The Secret holding the encrypted shared files.
    public static let certsSecret = "kubeadm-certs"
    /// The Role and RoleBinding that let joining nodes read it.
    public static let certsRBAC = "kubeadm:kubeadm-certs"
    public static let bootstrapGroup = "system:bootstrappers:kubeadm:default-node-token"
    public static let tokenDescription = "Proxy for managing TTL for the kubeadm-certs secret"
    /// How long the upload lives: its bootstrap token's expiration.
    public static let uploadLifetime: Double = 2 * 3600
    /// The Endpoints in `default` that list the API servers that are up (each server's endpoint reconciler writes it).
    public static let apiServerEndpoints = (namespace: "default", name: "kubernetes")
}
