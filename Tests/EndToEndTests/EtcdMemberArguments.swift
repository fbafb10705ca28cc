import Foundation

/// The command line of one etcd member of a test cluster on loopback: TLS with client-certificate authentication on
/// both listeners, its certificates in `certs` as kubeadm and etcd-certs name them (ca.crt, server.*, peer.*).
func etcdMemberArguments(name: String, dataDir: String, clientURL: String, peerURL: String, cluster: String, state: String,
                         token: String, certs: String) -> [String] {
    [
        "--name", name, "--data-dir", dataDir,
        "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
        "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
        "--initial-cluster", cluster, "--initial-cluster-state", state, "--initial-cluster-token", token,
        "--client-cert-auth", "--trusted-ca-file", certs + "/ca.crt",
        "--cert-file", certs + "/server.crt", "--key-file", certs + "/server.key",
        "--peer-client-cert-auth", "--peer-trusted-ca-file", certs + "/ca.crt",
        "--peer-cert-file", certs + "/peer.crt", "--peer-key-file", certs + "/peer.key",
    ]
}
