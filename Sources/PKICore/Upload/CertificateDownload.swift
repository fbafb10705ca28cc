import Foundation

/// `download-certs`: fetch kubeadm-certs (from a manifest file or the API), refuse an expired or damaged
/// upload, and install the shared CA material on this node (kubeadm's `join --control-plane --certificate-key`).
///
/// Everything is decrypted and checked before the first write, so a refusal leaves the disk untouched.
public struct CertificateDownload: Sendable {
    public let certificatesDir: String
    /// The kubeadm config's external etcd section, where external etcd files go.
    public let configuredExternalEtcd: ExternalEtcd?
    public let key: CertificateKey
    public let force: Bool
    public let now: Date
    public let log: ProgressLog
    public let lockTimeout: TimeInterval

    public init(config: ClusterConfig, key: CertificateKey, force: Bool = false, now: Date = Date(),
                log: ProgressLog = .silent, lockTimeout: TimeInterval = PKILock.defaultTimeout) {
        self.certificatesDir = config.certificatesDir
        self.configuredExternalEtcd = if case .external(let etcd) = config.etcd { etcd } else { nil }
        self.key = key
        self.force = force
        self.now = now
        self.log = log
        self.lockTimeout = lockTimeout
    }

    public struct Report: Sendable {
        public var written: [String] = []
        public var unchanged: [String] = []
        public var usesExternalEtcd = false
        public var caPins: [SPKIPin] = []
    }

    /// From a manifest that upload-certs (or `kubectl get secret -o yaml`) wrote.
    public func run(manifest: Data, source: String) throws -> Report {
        let objects = try KubeadmCertsObjects.objects(inManifest: manifest, source: source)
        guard let secret = objects.first(where: { KubeadmCertsObjects.isSecret($0, named: KubeadmCertsObjects.secretName) }) else {
            let found = objects.compactMap { object in
                KubeadmCertsObjects.name(object).map { "\(object["kind"] as? String ?? "?") \($0)" }
            }
            let listing = found.isEmpty ? "no Kubernetes objects" : found.joined(separator: ", ")
            throw PKIError(.invalidInput, "\(source) holds no Secret \(KubeadmCertsObjects.namespace)/\(KubeadmCertsObjects.secretName) (found \(listing)); pass the manifest upload-certs wrote")
        }
        let (bundle, tokenName) = try KubeadmCertsObjects.bundle(from: secret, source: source)
        let token = tokenName.flatMap { name in objects.first { KubeadmCertsObjects.isSecret($0, named: name) } }
        return try install(bundle, tokenName: tokenName, token: token, source: source)
    }

    /// From the cluster: GET kubeadm-certs, then the token Secret it belongs to.
    public func run(client: KubernetesClient) throws -> Report {
        let source = "Secret \(KubeadmCertsObjects.namespace)/\(KubeadmCertsObjects.secretName) at \(client.server)"
        guard let secret = try client.get("\(KubeadmCertsObjects.secretsPath)/\(KubeadmCertsObjects.secretName)") else {
            throw PKIError(.invalidInput, "\(source) does not exist (never uploaded, or removed after its two hours); run upload-certs on a control-plane node")
        }
        let (bundle, tokenName) = try KubeadmCertsObjects.bundle(from: secret, source: source)
        let token = try tokenName.flatMap { try client.get("\(KubeadmCertsObjects.secretsPath)/\($0)") }
        return try install(bundle, tokenName: tokenName, token: token, source: source)
    }

    func install(_ bundle: KubeadmCertsBundle, tokenName: String?, token: [String: Any]?, source: String) throws -> Report {
        try checkLifetime(tokenName: tokenName, token: token, source: source)
        let external = bundle.usesExternalEtcd
            ? SharedFiles.externalDestinations(certificatesDir: certificatesDir, configured: configuredExternalEtcd)
            : nil
        let files = SharedFiles.list(certificatesDir: certificatesDir, external: external)
        let plaintexts = try bundle.open(files, key: key, source: source)
        var report = Report(usesExternalEtcd: external != nil)
        report.caPins = try plaintexts["ca.crt"].map { try Certificate.parseAll(pem: $0, source: "ca.crt").map { try $0.pin() } } ?? []

        // Keys before certificates, so a reader never finds a new certificate beside an old key.
        let ordered = files.filter { $0.content == .privateKey } + files.filter { $0.content != .privateKey }
        let writes = try ordered.compactMap { file -> (SharedFile, Data)? in
            guard let data = plaintexts[file.name] else { return nil }
            return (file, data)
        }
        try refuseConflicts(writes)
        try AtomicFile.checkWritableDirectory(certificatesDir)
        let lock = try PKILock.acquire(certificatesDir: certificatesDir, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        // Judged again under the lock: another writer may have changed the files meanwhile.
        try refuseConflicts(writes)
        for (file, data) in writes {
            if try PKIDirectory.read(file.path) == data {
                report.unchanged.append(file.path)
                continue
            }
            try AtomicFile.createDirectory(URL(fileURLWithPath: file.path).deletingLastPathComponent().path)
            try AtomicFile.write(data, to: file.path, mode: file.mode)
            log.info("[download-certs] Wrote \(file.path)")
            report.written.append(file.path)
        }
        return report
    }

    /// Refuses an upload whose token Secret has expired; one without a token is accepted with a warning.
    private func checkLifetime(tokenName: String?, token: [String: Any]?, source: String) throws {
        guard let tokenName, let token else {
            let which = tokenName.map { "its bootstrap token Secret \($0) is not present" } ?? "it names no bootstrap token Secret"
            log.warning("[download-certs] WARNING: \(source): \(which), so the upload's age cannot be checked")
            return
        }
        guard let expiration = try KubeadmCertsObjects.tokenExpiration(token, source: source) else { return }
        guard expiration > now else {
            throw PKIError(.verification, "\(source) expired at \(KubeadmCertsObjects.rfc3339(expiration)) (bootstrap token Secret \(tokenName)); run upload-certs again on a control-plane node")
        }
    }

    private func refuseConflicts(_ writes: [(SharedFile, Data)]) throws {
        guard !force else { return }
        let conflicts = try writes.filter { file, data in try PKIDirectory.read(file.path).map { $0 != data } ?? false }.map(\.0.path)
        guard conflicts.isEmpty else {
            throw PKIError(.conflict, "refusing to overwrite \(conflicts.joined(separator: ", ")): they differ from the uploaded files; pass --force to replace them")
        }
    }
}
