import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// What a control-plane node cannot do for the rest of the cluster during a CA rotation, as exact commands, printed
/// at the phase where each is due: worker nodes' trust and kubelet client certificates, the `kube-root-ca.crt`
/// ConfigMaps (kube-controller-manager publishes its `--root-ca-file` when it starts), pods that read the CA at
/// start, and `cluster-info` in kube-public, which joining nodes check.
struct CARotationManualSteps {
    let authority: AuthorityName
    let config: ClusterConfig

    private var caFile: String { NodeLayout.certificatesDir + "/" + AuthorityName.ca.spec.baseName + ".crt" }
    private var localCAFile: String { AuthorityName.ca.spec.location(in: config.pkiDirectory).path }
    private var kubeletConf: String { NodeLayout.kubeconfigDir + "/" + CertificateName.kubeletConf.spec.displayName }
    private var workerKubeletClient: String {
        URL(fileURLWithPath: NodeLayout.kubeletClientCertificate).deletingLastPathComponent().path + "/" + NodeLayout.kubeletClientFile("rotated")
    }
    private var nodesGroup: String { CertificateName.kubeletConf.spec.organizations.first ?? "" }
    private var admin: String { config.kubeconfigPath(CertificateName.adminConf.spec.displayName) }

    /// Worker kubelets trust what this node's CA file holds now; the kubelet reads both at start.
    private func workerTrust(_ what: String) -> [String] {
        [
            "On every worker node, install \(localCAFile) from this node (\(what)) as \(caFile), then:",
            "  CLUSTER=$(kubectl --kubeconfig \(kubeletConf) config view --raw -o jsonpath='{.clusters[0].name}')",
            "  kubectl --kubeconfig \(kubeletConf) config set \"clusters.$CLUSTER.certificate-authority-data\" \"$(base64 -w0 \(caFile))\"",
            "  systemctl restart kubelet",
            "On every control-plane node, once its phase is done: systemctl restart kubelet",
        ]
    }

    private var clusterInfo: [String] {
        [
            "Update cluster-info in kube-public (joining nodes check it; \(ComponentName.kubeControllerManager.rawValue) signs it again):",
            "  kubectl --kubeconfig \(admin) -n kube-public get configmap cluster-info -o jsonpath='{.data.kubeconfig}' > cluster-info.kubeconfig",
            "  kubectl --kubeconfig cluster-info.kubeconfig config set 'clusters..certificate-authority-data' \"$(base64 -w0 \(localCAFile))\"",
            "  kubectl --kubeconfig \(admin) -n kube-public create configmap cluster-info --from-file=kubeconfig=cluster-info.kubeconfig --dry-run=client -o yaml | kubectl --kubeconfig \(admin) apply -f -",
        ]
    }

    private var podsInClusterConfig: [String] {
        [
            "Once \(ComponentName.kubeControllerManager.rawValue) has restarted, every namespace's kube-root-ca.crt holds \(localCAFile); restart the pods that read it at start:",
            "  kubectl --kubeconfig \(admin) -n \(KubeadmObjects.namespace) get configmap kube-root-ca.crt -o jsonpath='{.data.ca\\.crt}' | grep -c BEGIN",
            "  for ns in $(kubectl --kubeconfig \(admin) get namespaces -o name | cut -d/ -f2); do kubectl --kubeconfig \(admin) -n \"$ns\" rollout restart deployment,daemonset,statefulset; done",
        ]
    }

    func afterTrust() -> [String] {
        let file = authority.spec.location(in: config.pkiDirectory).path
        let kubeadmNote = "Until finish, kubeadm's certs commands refuse \(file), which holds two certificates (\"wanted exactly one certificate, got 2\"): use pkictl check-expiration and pkictl renew (pkid keeps renewing), and run kubeadm upgrade only after finish."
        return [kubeadmNote] + trustSteps()
    }

    private func trustSteps() -> [String] {
        switch authority {
        case .ca: workerTrust("the old and the new CA") + clusterInfo + podsInClusterConfig
        case .etcdCA: ["Clients of etcd outside this node's static pods (backup jobs, CNI plugins) must trust \(AuthorityName.etcdCA.spec.location(in: config.pkiDirectory).path) (both CAs) before reissue."]
        case .frontProxyCA: ["Aggregated API servers read the front-proxy CA from the extension-apiserver-authentication ConfigMap, which \(ComponentName.kubeAPIServer.rawValue) updates when it starts; restart them after \(ComponentName.kubeAPIServer.rawValue)."]
        }
    }

    func afterReissue() -> [String] {
        switch authority {
        case .ca:
            [
                "Worker kubelets' client certificates are still signed by the old CA and stop working at finish. On this node, for each worker NODE:",
                "  openssl ecparam -name prime256v1 -genkey -noout -out NODE.key",
                "  openssl req -new -key NODE.key -subj '/O=\(nodesGroup)/CN=system:node:NODE' -out NODE.csr",
                "  printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\nauthorityKeyIdentifier=keyid\\n' > client.ext",
                "  openssl x509 -req -in NODE.csr -CA \(AuthorityName.ca.spec.location(in: config.pkiDirectory).path) -CAkey \(AuthorityName.ca.spec.location(in: config.pkiDirectory).keyPath) -set_serial 0x$(openssl rand -hex 16) -days 365 -extfile client.ext -out NODE.crt",
                "then on the worker: cat NODE.crt NODE.key > \(workerKubeletClient); chmod 600 \(workerKubeletClient); ln -sfn \(workerKubeletClient) \(NodeLayout.kubeletClientCertificate); systemctl restart kubelet",
                "On every control-plane node, once its reissue is done: systemctl restart kubelet",
            ]
        case .etcdCA: ["Client certificates of etcd clients outside this node (backup jobs, CNI plugins) must be issued by the new etcd CA before finish."]
        case .frontProxyCA: []
        }
    }

    func afterFinish() -> [String] {
        switch authority {
        case .ca: workerTrust("the new CA alone") + clusterInfo + podsInClusterConfig
        case .etcdCA: ["Clients of etcd outside this node may now trust the new etcd CA alone."]
        case .frontProxyCA: ["Restart aggregated API servers after \(ComponentName.kubeAPIServer.rawValue) so that they trust the new front-proxy CA alone."]
        }
    }
}
