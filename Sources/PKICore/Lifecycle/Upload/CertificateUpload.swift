import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `upload-certs`: seal the shared CA material under a certificate key, as a manifest file or straight into
/// the cluster through the API (kubeadm's `init phase upload-certs --upload-certs`).
public struct CertificateUpload: Sendable {
    public let files: [SharedFile]
    /// The certificate key; nil makes a new one, once the files have passed their checks.
    public let key: CertificateKey?
    public let now: Date
    public let log: ProgressLog

    public init(config: ClusterConfig, key: CertificateKey?, now: Date = Date(), log: ProgressLog = .silent) {
        let external: ExternalEtcd? = if case .external(let etcd) = config.etcd { etcd } else { nil }
        self.files = SharedFiles.list(certificatesDir: config.certificatesDir, external: external)
        self.key = key
        self.now = now
        self.log = log
    }

    /// What was uploaded: the token whose Secret bounds the upload's life, when it expires, and the key it is sealed
    /// with (`generatedKey` when upload-certs made it, to be shown once).
    public struct Report: Sendable {
        public let token: BootstrapToken
        public let expiration: Date
        public let missing: [String]
        public let generatedKey: CertificateKey?
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

    /// Reads and checks every file, and only then makes the key and the token and seals; nothing is sent or written here.
    private func prepare() throws -> (KubeadmCertsBundle, Report) {
        let material = try SharedMaterial.collect(files, now: now)
        for file in material.absent {
            if let field = file.configField {
                log.warning("[upload-certs] WARNING: --config sets no \(field); uploading \(file.name) as empty")
            } else {
                log.warning("[upload-certs] WARNING: \(file.path) does not exist (external CA mode); uploading the certificate without its key, as kubeadm does")
            }
        }
        let sealingKey = try key ?? CertificateKey.generate()
        let bundle = try KubeadmCertsBundle.seal(material, key: sealingKey)
        let report = Report(token: try BootstrapToken.generate(), expiration: now + KubeadmObjects.uploadLifetime,
                            missing: material.absent.map(\.name), generatedKey: key == nil ? sealingKey : nil)
        return (bundle, report)
    }
}
