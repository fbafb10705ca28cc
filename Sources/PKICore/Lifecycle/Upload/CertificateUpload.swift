import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `upload-certs`: seal the shared CA material under a certificate key, as a manifest file or straight into
/// the cluster through the API (kubeadm's `init phase upload-certs --upload-certs`).
public struct CertificateUpload: Sendable {
    public let files: [SharedFile]
    public let key: CertificateKey
    public let now: Date
    public let log: ProgressLog

    public init(config: ClusterConfig, key: CertificateKey, now: Date = Date(), log: ProgressLog = .silent) {
        let external: ExternalEtcd? = if case .external(let etcd) = config.etcd { etcd } else { nil }
        self.files = SharedFiles.list(certificatesDir: config.certificatesDir, external: external)
        self.key = key
        self.now = now
        self.log = log
    }

    /// What was uploaded: the token whose Secret bounds the upload's life, and when it expires.
    public struct Report: Sendable {
        public let token: BootstrapToken
        public let expiration: Date
        public let missing: [String]
    }

    /// The four objects for `kubectl apply -f`, in kubeadm's creation order.
    public func manifest() throws -> (manifest: Data, report: Report) {
        let (bundle, report) = try prepare()
        let manifest = try KubeadmCertsObjects.manifest(
            token: KubeadmCertsObjects.tokenSecret(report.token, expiration: report.expiration),
            certs: KubeadmCertsObjects.certsSecret(bundle, link: .annotation(secretName: report.token.secretName)))
        return (manifest, report)
    }

    /// Creates or updates the objects through the API in kubeadm's order: token Secret, then kubeadm-certs
    /// owned by it (so the garbage collector removes it with the token), then the Role and RoleBinding.
    public func apply(_ client: KubernetesClient) async throws -> Report {
        let (bundle, report) = try prepare()
        let token = report.token
        try await client.createOrUpdate(KubeadmCertsObjects.tokenSecret(token, expiration: report.expiration))
        // The UID exists only once the API server has stored the token Secret; read it back as kubeadm does.
        let namespace = KubeadmObjects.namespace
        guard let stored = try await client.get(Secret.self, namespace: namespace, name: token.secretName), let uid = stored.metadata.uid else {
            throw PKIError(.malformedResponse, "the API server \(client.server) did not return Secret \(namespace)/\(token.secretName) with a UID after creating it")
        }
        log.info("[upload-certs] Storing the certificates in Secret \"\(KubeadmObjects.certsSecret)\" in the \"\(namespace)\" Namespace")
        try await client.createOrUpdate(KubeadmCertsObjects.certsSecret(bundle, link: .owner(secretName: token.secretName, uid: uid)))
        try await client.createOrUpdate(KubeadmCertsObjects.role)
        try await client.createOrUpdate(KubeadmCertsObjects.roleBinding)
        return report
    }

    private func prepare() throws -> (KubeadmCertsBundle, Report) {
        guard let clusterCA = SharedFiles.clusterCA(in: files), FileManager.default.fileExists(atPath: clusterCA.path) else {
            let path = SharedFiles.clusterCA(in: files)?.path ?? "the cert dir"
            throw PKIError(.fileNotFound, "no cluster CA at \(path); pass --cert-dir DIR of a control-plane node (or run init-ca first)")
        }
        let bundle = try KubeadmCertsBundle.seal(files, key: key)
        let missing = files.filter { bundle.entries[$0.dataKey]?.isEmpty ?? true }.map(\.name)
        for name in missing {
            log.warning("[upload-certs] WARNING: \(files.first { $0.name == name }.map { $0.path.isEmpty ? name : $0.path } ?? name) does not exist; uploading it as empty")
        }
        let report = Report(token: try BootstrapToken.generate(), expiration: now + KubeadmObjects.uploadLifetime, missing: missing)
        return (bundle, report)
    }
}
