import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `download-certs`: fetch kubeadm-certs (from a manifest file or the API), refuse an expired or damaged
/// upload, and install the shared CA material on this node (kubeadm's `join --control-plane --certificate-key`).
///
/// Everything is decrypted and checked before the first write, so a refusal leaves the disk untouched.
public struct CertificateDownload: Sendable {
    public let config: ClusterConfig
    public var certificatesDir: String { config.certificatesDir }
    /// The kubeadm config's external etcd section, where external etcd files go.
    public let configuredExternalEtcd: ExternalEtcd?
    public let key: CertificateKey
    public let force: Bool
    public let clock: any WallClock
    public let log: ProgressLog
    public let lockTimeout: TimeInterval

    public init(config: ClusterConfig, key: CertificateKey, force: Bool = false, clock: any WallClock = SystemWallClock(),
                log: ProgressLog = .silent, lockTimeout: TimeInterval = PKILock.defaultTimeout) {
        self.config = config
        self.configuredExternalEtcd = if case .external(let etcd) = config.etcd { etcd } else { nil }
        self.key = key
        self.force = force
        self.clock = clock
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
    public func run(manifest: Data, source: String) async throws -> Report {
        let objects = try KubeadmCertsObjects.objects(inManifest: manifest, source: source)
        guard let secret = try KubeadmCertsObjects.secret(named: KubeadmObjects.certsSecret, in: objects, source: source) else {
            let found = objects.map(KubeadmCertsObjects.header).compactMap { header in
                header.metadata.map { "\(header.kind ?? "?") \($0.name)" }
            }
            let listing = found.isEmpty ? "no Kubernetes objects" : found.joined(separator: ", ")
            throw PKIError(.invalidInput, "\(source) holds no Secret \(KubeadmObjects.namespace)/\(KubeadmObjects.certsSecret) (found \(listing)); pass the manifest upload-certs wrote")
        }
        let (bundle, tokenName) = try KubeadmCertsObjects.bundle(from: secret, source: source)
        let token = try tokenName.flatMap { try KubeadmCertsObjects.secret(named: $0, in: objects, source: source) }
        return try await install(bundle, tokenName: tokenName, token: token, source: source)
    }

    /// From the cluster: GET kubeadm-certs, then the token Secret it belongs to.
    public func run(client: KubernetesClient) async throws -> Report {
        let namespace = KubeadmObjects.namespace
        let source = "Secret \(namespace)/\(KubeadmObjects.certsSecret) at \(client.server)"
        guard let secret = try await client.get(Secret.self, namespace: namespace, name: KubeadmObjects.certsSecret) else {
            throw PKIError(.notFound, "\(source) does not exist (never uploaded, or removed after its two hours); run upload-certs on a control-plane node")
        }
        let (bundle, tokenName) = try KubeadmCertsObjects.bundle(from: secret, source: source)
        var token: Secret?
        if let tokenName { token = try await client.get(Secret.self, namespace: namespace, name: tokenName) }
        return try await install(bundle, tokenName: tokenName, token: token, source: source)
    }

    func install(_ bundle: KubeadmCertsBundle, tokenName: String?, token: Secret?, source: String) async throws -> Report {
        try checkLifetime(tokenName: tokenName, token: token, source: source)
        let external = bundle.usesExternalEtcd
            ? SharedFiles.externalDestinations(certificatesDir: certificatesDir, configured: configuredExternalEtcd)
            : nil
        let files = SharedFiles.list(certificatesDir: certificatesDir, external: external)
        let plaintexts = try bundle.open(files, key: key, source: source)
        var report = Report(usesExternalEtcd: external != nil)
        if let clusterCA = SharedFiles.clusterCA(in: files), let pem = plaintexts[clusterCA.name] {
            report.caPins = try Certificate.parseAll(pem: pem, source: "\(source) entry \(clusterCA.dataKey)").map { try $0.pin() }
        }

        let writes = files.compactMap { file in plaintexts[file.name].map { (file, $0) } }
        try refuseConflicts(writes)
        // External etcd files may live outside the cert dir: every target directory is probed before the first write.
        let directories = Set(writes.map { URL(fileURLWithPath: $0.0.path).deletingLastPathComponent().path } + [certificatesDir])
        for directory in directories.sorted() { try AtomicFile.checkWritableDirectory(directory) }
        let lock = try await PKILock.acquire(certificatesDir: certificatesDir, timeout: lockTimeout, clock: clock)
        defer { withExtendedLifetime(lock) {} }
        let directory = PKIDirectory(root: certificatesDir)
        try InterruptedWriteRecovery.run(config: config, directory: directory, log: log, phase: "download-certs")
        // Judged again under the lock: another writer may have changed the files meanwhile.
        try refuseConflicts(writes)
        for unit in Self.writeUnits(writes, certificatesDir: certificatesDir) {
            let changed = try unit.filter { file, data in try PKIDirectory.read(file.path) != data }
            guard !changed.isEmpty else {
                report.unchanged += unit.map(\.0.path)
                continue
            }
            if unit.count == 2, let key = unit.first(where: { $0.0.content == .privateKey }), let primary = unit.first(where: { $0.0.content != .privateKey }) {
                // A CA or the service-account pair: PKIDirectory's swap, so no reader ever sees a mismatched pair.
                try directory.writePair(secondary: (key.0.path, key.1, key.0.mode), primary: (primary.0.path, primary.1, primary.0.mode))
            } else {
                for (file, data) in changed {
                    try AtomicFile.createDirectory(URL(fileURLWithPath: file.path).deletingLastPathComponent().path)
                    try AtomicFile.write(data, to: file.path, mode: file.mode)
                }
            }
            for (file, _) in unit {
                log.info("[download-certs] Wrote \(file.path)")
                report.written.append(file.path)
            }
        }
        return report
    }

    /// Pairs under the cert dir (a CA and its key, sa.key and sa.pub) are written together; every other file,
    /// external etcd's included (outside the cert dir's crash recovery), alone, keys first.
    static func writeUnits(_ writes: [(SharedFile, Data)], certificatesDir: String) -> [[(SharedFile, Data)]] {
        let byName = Dictionary(writes.map { ($0.0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var units: [[(SharedFile, Data)]] = []
        var paired = Set<String>()
        for write in writes where write.0.content == .privateKey && write.0.path.hasPrefix(certificatesDir + "/") {
            guard let partner = write.0.pairedWith.flatMap({ byName[$0] }), partner.0.path.hasPrefix(certificatesDir + "/") else { continue }
            units.append([write, partner])
            paired.formUnion([write.0.name, partner.0.name])
        }
        let singles = writes.filter { !paired.contains($0.0.name) }
        units += (singles.filter { $0.0.content == .privateKey } + singles.filter { $0.0.content != .privateKey }).map { [$0] }
        return units
    }

    /// Refuses an upload whose token Secret has expired; one without a token is accepted with a warning.
    private func checkLifetime(tokenName: String?, token: Secret?, source: String) throws {
        guard let tokenName, let token else {
            let which = tokenName.map { "its bootstrap token Secret \($0) is not present" } ?? "it names no bootstrap token Secret"
            log.warning("[download-certs] WARNING: \(source): \(which), so the upload's age cannot be checked")
            return
        }
        guard let expiration = try KubeadmCertsObjects.tokenExpiration(token, source: source) else { return }
        guard expiration > clock.date else {
            throw PKIError(.expiredUpload, "\(source) expired at \(KubeadmCertsObjects.rfc3339(expiration)) (bootstrap token Secret \(tokenName)); run upload-certs again on a control-plane node")
        }
    }

    private func refuseConflicts(_ writes: [(SharedFile, Data)]) throws {
        guard !force else { return }
        let conflicts = try writes.filter { file, data in try PKIDirectory.read(file.path).map { $0 != data } ?? false }.map(\.0.path)
        guard conflicts.isEmpty else {
            throw PKIError(.fileConflict, "refusing to overwrite \(conflicts.joined(separator: ", ")): they differ from the uploaded files; pass --force to replace them")
        }
    }
}
