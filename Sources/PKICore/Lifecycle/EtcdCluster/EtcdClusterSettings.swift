import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// What the operator pastes after `etcd-certs`: kubeadm's `etcd.external` block and each member's etcd flags,
/// for the layout EtcdClusterPKI writes once each member's directory is copied to `hostDirectory` on its host.
public struct EtcdClusterSettings: Sendable {
    public let members: [EtcdMember]
    public let clientPort: Int
    public let peerPort: Int
    /// Where a member's directory lands on its host (kubeadm's etcd directory by default).
    public let hostDirectory: String
    /// Where the control-plane nodes keep the CA and the API server's client pair.
    public let kubernetesPKIDirectory: String

    public init(members: [EtcdMember], clientPort: Int = 2379, peerPort: Int = 2380,
                hostDirectory: String = EtcdClusterLayout.hostDirectory, kubernetesPKIDirectory: String = NodeLayout.certificatesDir) {
        self.members = members
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.hostDirectory = hostDirectory
        self.kubernetesPKIDirectory = kubernetesPKIDirectory
    }

    public func clientURL(_ member: EtcdMember) -> String { "https://\(member.address.urlHost):\(clientPort)" }
    public func peerURL(_ member: EtcdMember) -> String { "https://\(member.address.urlHost):\(peerPort)" }

    /// The `etcd.external` block of a kubeadm ClusterConfiguration.
    public var kubeadmExternalEtcd: String {
        var lines = ["etcd:", "  external:", "    endpoints:"]
        lines += members.map { "    - \(clientURL($0))" }
        let files = EtcdClusterLayout.controlPlaneFiles(in: kubernetesPKIDirectory)
        lines += ["    caFile: \(files.ca)", "    certFile: \(files.certificate)", "    keyFile: \(files.key)"]
        return lines.joined(separator: "\n")
    }

    /// `etcd` flags for `member`: TLS with client-certificate authentication on both listeners.
    public func flags(for member: EtcdMember) -> [String] {
        let cluster = members.map { "\($0.name)=\(peerURL($0))" }.joined(separator: ",")
        let loopback = member.address.isIPv4 ? "https://127.0.0.1:\(clientPort)" : "https://[::1]:\(clientPort)"
        let ca = "\(hostDirectory)/\(EtcdClusterLayout.authorityBaseName).crt"
        let server = "\(hostDirectory)/\(EtcdClusterLayout.fileBaseName(.etcdServer))"
        let peer = "\(hostDirectory)/\(EtcdClusterLayout.fileBaseName(.etcdPeer))"
        return [
            "--name=\(member.name)",
            "--listen-client-urls=\(clientURL(member)),\(loopback)",
            "--advertise-client-urls=\(clientURL(member))",
            "--listen-peer-urls=\(peerURL(member))",
            "--initial-advertise-peer-urls=\(peerURL(member))",
            "--initial-cluster=\(cluster)",
            "--initial-cluster-state=new",
            "--client-cert-auth=true",
            "--trusted-ca-file=\(ca)",
            "--cert-file=\(server).crt",
            "--key-file=\(server).key",
            "--peer-client-cert-auth=true",
            "--peer-trusted-ca-file=\(ca)",
            "--peer-cert-file=\(peer).crt",
            "--peer-key-file=\(peer).key",
        ]
    }
}
