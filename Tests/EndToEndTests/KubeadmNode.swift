import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A control-plane node laid out as `kubeadm init`/`join` leaves it, below a test's root instead of `/`:
/// `etc/kubernetes` with the PKI, the kubeconfigs and kubeadm's static pod manifests (Resources/kubeadm-node, paths
/// rewritten to the root), and `var/lib/kubelet/pki` with the kubelet's rotated client certificate, a dated file that
/// `kubelet-client-current.pem` points at, which kubelet.conf references by path after the kubelet-finalize phase.
/// super-admin.conf exists on the node that ran `kubeadm init` only.
struct KubeadmNode {
    let root: String
    /// The kubeadm config file the PKI was made from.
    let config: String

    var kubernetesDir: String { root + "/etc/kubernetes" }
    var pki: String { kubernetesDir + "/pki" }
    var manifests: String { kubernetesDir + "/manifests" }
    var kubeletConf: String { kubernetesDir + "/kubelet.conf" }
    var kubeletPKI: String { root + "/var/lib/kubelet/pki" }
    var kubeletClientCurrent: String { kubeletPKI + "/kubelet-client-current.pem" }

    /// The flags that point a command at this node.
    var pathArguments: [String] {
        ["--config", config, "--cert-dir", pki, "--kubeconfig-dir", kubernetesDir, "--kubelet-client-cert", kubeletClientCurrent]
    }

    /// A kubeadm config for one node: its API server on loopback at `bindPort`, the ClusterConfiguration's `clusterLines`.
    static func configuration(name: String = "node1", bindPort: Int = 6443, apiVersion: String = "v1beta4", clusterLines: [String]) -> String {
        """
        apiVersion: kubeadm.k8s.io/\(apiVersion)
        kind: InitConfiguration
        localAPIEndpoint:
          advertiseAddress: 127.0.0.1
          bindPort: \(bindPort)
        nodeRegistration:
          name: \(name)
        ---
        apiVersion: kubeadm.k8s.io/\(apiVersion)
        kind: ClusterConfiguration

        """ + clusterLines.map { $0 + "\n" }.joined()
    }

    /// The static pod manifests kubeadm writes for a stacked-etcd control plane, with its real paths.
    static let kubeadmManifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/kubeadm-node/manifests").path
}

extension EndToEndTestCase {
    /// Lays out a node in a fresh directory. `validity` shortens the leaves (kubeadm's certificateValidityPeriod).
    func makeKubeadmNode(_ label: String = "node", validity: String? = nil, initNode: Bool = true,
                         file: StaticString = #filePath, line: UInt = #line) throws -> KubeadmNode {
        let root = try makeTemporaryDirectory(label)
        let node = KubeadmNode(root: root, config: root + "/kubeadm.yaml")
        try KubeadmNode.configuration(clusterLines: (validity.map { ["certificateValidityPeriod: \($0)"] } ?? []) + ["encryptionAlgorithm: ECDSA-P256"])
            .write(toFile: node.config, atomically: true, encoding: .utf8)
        let made = try pkictl(["init", "--config", node.config, "--cert-dir", node.pki, "--kubeconfig-dir", node.kubernetesDir, "--db", root + "/setup.db"],
                              file: file, line: line)
        guard made.status == 0 else {
            XCTFail("pkictl init for the node fixture failed: \(describe(made))", file: file, line: line)
            throw HarnessError("node fixture")
        }
        if !initNode { try FileManager.default.removeItem(atPath: node.kubernetesDir + "/super-admin.conf") }
        try FileManager.default.removeItem(atPath: root + "/setup.db")
        try installManifests(node)
        try finalizeKubelet(node)
        return node
    }

    /// kubeadm's manifests with `/etc/kubernetes` and `/var/lib` moved below the node's root.
    func installManifests(_ node: KubeadmNode) throws {
        try FileManager.default.createDirectory(atPath: node.manifests, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: KubeadmNode.kubeadmManifests) {
            let text = try String(contentsOfFile: KubeadmNode.kubeadmManifests + "/" + name, encoding: .utf8)
                .replacingOccurrences(of: "/etc/kubernetes", with: node.kubernetesDir)
                .replacingOccurrences(of: "/var/lib/etcd", with: node.root + "/var/lib/etcd")
            try text.write(toFile: node.manifests + "/" + name, atomically: true, encoding: .utf8)
            chmod(node.manifests + "/" + name, 0o600)
        }
    }

    /// What the kubelet and kubeadm's kubelet-finalize phase leave: a client certificate the kubelet got through a
    /// CSR (its own ECDSA key, a year, signed by the cluster CA) in a dated PEM file holding certificate then key,
    /// `kubelet-client-current.pem` as an absolute symlink to it, its self-signed serving pair, and kubelet.conf
    /// rewritten to reference the symlink for both certificate and key.
    private func finalizeKubelet(_ node: KubeadmNode) throws {
        try FileManager.default.createDirectory(atPath: node.kubeletPKI, withIntermediateDirectories: true)
        let stamp = DateFormatter.kubeletStamp.string(from: Date())
        let dated = node.kubeletPKI + "/kubelet-client-\(stamp).pem"
        let work = node.root + "/kubelet-csr"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let made = try shell("""
            set -e
            cd '\(work)'
            openssl ecparam -name prime256v1 -genkey -noout -out key.pem
            openssl req -new -key key.pem -subj '/O=system:nodes/CN=system:node:node1' -out csr.pem
            printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\nauthorityKeyIdentifier=keyid\\n' > ext
            openssl x509 -req -in csr.pem -CA '\(node.pki)/ca.crt' -CAkey '\(node.pki)/ca.key' -set_serial 0x$(openssl rand -hex 16) \
                -days 365 -extfile ext -out cert.pem 2>/dev/null
            cat cert.pem key.pem > '\(dated)'
            chmod 600 '\(dated)'
            ln -s '\(dated)' '\(node.kubeletClientCurrent)'
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj "/CN=node1@$(date +%s)" \
                -addext subjectAltName=DNS:node1 -keyout '\(node.kubeletPKI)/kubelet.key' -out '\(node.kubeletPKI)/kubelet.crt' 2>/dev/null
            """)
        guard made.status == 0 else { throw HarnessError("kubelet fixture: \(describe(made))") }
        try FileManager.default.removeItem(atPath: work)

        let authority = try XCTUnwrap(FileManager.default.contents(atPath: node.pki + "/ca.crt")).base64EncodedString()
        try """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: \(authority)
            server: https://127.0.0.1:6443
          name: kubernetes
        contexts:
        - context:
            cluster: kubernetes
            user: system:node:node1
          name: system:node:node1@kubernetes
        current-context: system:node:node1@kubernetes
        kind: Config
        preferences: {}
        users:
        - name: system:node:node1
          user:
            client-certificate: \(node.kubeletClientCurrent)
            client-key: \(node.kubeletClientCurrent)

        """.write(toFile: node.kubeletConf, atomically: true, encoding: .utf8)
        chmod(node.kubeletConf, 0o600)
    }
}

extension DateFormatter {
    /// The kubelet's certificate store names rotated files kubelet-client-2006-01-02-15-04-05.pem.
    static let kubeletStamp: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd-HH-mm-ss"
        return formatter
    }()
}
