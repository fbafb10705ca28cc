import Foundation

/// `etcd-certs`: the PKI of an external etcd cluster, laid out so each member's directory can be copied to
/// its host as is. The certificates are kubeadm's own etcd rows of the catalogue (etcd CA, etcd-server,
/// etcd-peer, etcd-healthcheck-client, apiserver-etcd-client), made once per member.
///
///     DIR/ca.crt, DIR/ca.key                      the etcd CA (the key stays with the operator)
///     DIR/<member>/ca.crt                         a copy of the CA certificate
///     DIR/<member>/{server,peer,healthcheck-client}.{crt,key}
///     DIR/apiserver-etcd-client.{crt,key}
///
/// Existing files are kept byte for byte: re-running with one more member only adds that member.
/// Everything is judged before anything is written, so a refusal leaves the directory as it was.
public struct EtcdClusterPKI: Sendable {
    public struct Report: Sendable, Equatable {
        /// Paths written, relative to the output directory.
        public var created: [String] = []
        /// Paths that already existed and were kept.
        public var kept: [String] = []
    }

    public let root: String
    public let algorithm: KeyAlgorithm
    public let now: Date
    public let log: ProgressLog

    public init(root: String, algorithm: KeyAlgorithm = .default, now: Date = Date(), log: ProgressLog = .silent) {
        self.root = root
        self.algorithm = algorithm
        self.now = now
        self.log = log
    }

    static let caBaseName = "ca"
    /// The per-member rows of the catalogue, and the one shared client of the API server.
    static let memberLeafNames = ["etcd-server", "etcd-peer", "etcd-healthcheck-client"]
    static let apiServerClientName = "apiserver-etcd-client"

    /// A catalogue row with the directory it lands in; the file name is the row's own base name without `etcd/`.
    struct PlannedLeaf {
        let spec: LeafSpec
        let directory: PKIDirectory
        let member: EtcdMember
        var fileBase: String { URL(fileURLWithPath: spec.baseName).lastPathComponent }
    }

    @discardableResult
    public func run(members: [EtcdMember]) throws -> Report {
        var report = Report()
        let rootDirectory = PKIDirectory(root: root)
        let existingCA = try readAuthority(rootDirectory)
        var leaves: [PlannedLeaf] = []
        var caCopies: [String] = []
        for member in members {
            let directory = PKIDirectory(root: root + "/" + member.name)
            for name in Self.memberLeafNames {
                leaves.append(PlannedLeaf(spec: try Self.spec(name), directory: directory, member: member))
            }
            let copy = directory.certificatePath(Self.caBaseName)
            if let data = try PKIDirectory.read(copy) {
                let certificate = try Certificate(pem: data, source: copy)
                guard let ca = existingCA, certificate.isSameCertificate(as: ca.certificate) else {
                    throw PKIError(.conflict, "\(copy) is not the CA in \(rootDirectory.certificatePath(Self.caBaseName)); remove \(member.name)/ to rebuild that member")
                }
                report.kept.append(relative(copy))
            } else {
                caCopies.append(copy)
            }
        }
        if let first = members.first {
            leaves.append(PlannedLeaf(spec: try Self.spec(Self.apiServerClientName), directory: rootDirectory, member: first))
        }
        var toCreate: [PlannedLeaf] = []
        for leaf in leaves {
            if try isKept(leaf, authority: existingCA) {
                report.kept.append(relative(leaf.directory.certificatePath(leaf.fileBase)))
            } else {
                toCreate.append(leaf)
            }
        }
        guard existingCA == nil || !toCreate.isEmpty || !caCopies.isEmpty else {
            log.info("[etcd-certs] Every certificate already exists; nothing to do")
            return report
        }

        try AtomicFile.checkWritableDirectory(root)
        let lock = try PKILock.acquire(certificatesDir: root, timeout: PKILock.defaultTimeout)
        defer { withExtendedLifetime(lock) {} }
        let keys = try PrivateKey.generate(Array(repeating: algorithm, count: toCreate.count + (existingCA == nil ? 1 : 0)))
        var unusedKeys = keys.makeIterator()

        let authority: SigningAuthority
        if let existingCA {
            authority = existingCA
            log.info("[etcd-certs] Using the existing etcd CA \(rootDirectory.certificatePath(Self.caBaseName))")
        } else {
            guard let key = unusedKeys.next(), let spec = CertificateCatalogue.authority(named: CertificateCatalogue.etcdCA) else {
                throw PKIError(.crypto, "internal error: no key for the etcd CA")
            }
            let config = try Self.config(for: members[0], algorithm: algorithm)
            let certificate = try Certificate.selfSigned(spec.template(for: config, now: now, serial: SecureRandom.serialNumber()), key: key)
            try rootDirectory.write(certificate: certificate, key: key, baseName: Self.caBaseName)
            authority = try SigningAuthority(certificate: certificate, key: key, source: rootDirectory.keyPath(Self.caBaseName))
            log.info("[etcd-certs] Generated the etcd CA \(rootDirectory.certificatePath(Self.caBaseName))")
            report.created += [relative(rootDirectory.keyPath(Self.caBaseName)), relative(rootDirectory.certificatePath(Self.caBaseName))]
        }

        let caPEM = try authority.certificate.pem()
        for copy in caCopies {
            try AtomicFile.createDirectory(URL(fileURLWithPath: copy).deletingLastPathComponent().path)
            try AtomicFile.write(caPEM, to: copy, mode: AtomicFile.certificateMode)
            report.created.append(relative(copy))
        }
        for leaf in toCreate {
            guard let key = unusedKeys.next() else { throw PKIError(.crypto, "internal error: fewer keys generated than planned") }
            let config = try Self.config(for: leaf.member, algorithm: algorithm)
            let sans = try leaf.spec.subjectAltNames(for: config).names
            let template = leaf.spec.template(for: config, sans: sans, now: now, serial: try SecureRandom.serialNumber())
            let certificate = try authority.issue(template, for: key)
            try leaf.directory.write(certificate: certificate, key: key, baseName: leaf.fileBase)
            let path = leaf.directory.certificatePath(leaf.fileBase)
            log.info("[etcd-certs] Generated \(relative(path)) for \(certificate.subject)")
            report.created += [relative(leaf.directory.keyPath(leaf.fileBase)), relative(path)]
        }
        return report
    }

    /// The existing CA, nil when neither file exists; a half-present or mismatched pair is refused.
    private func readAuthority(_ directory: PKIDirectory) throws -> SigningAuthority? {
        let certificate = try directory.readCertificate(Self.caBaseName)
        let key = try directory.readKey(Self.caBaseName)
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case let (certificate?, key?):
            guard certificate.isCA else {
                throw PKIError(.conflict, "\(directory.certificatePath(Self.caBaseName)) is not a CA certificate; move it away to have a new etcd CA made")
            }
            return try SigningAuthority(certificate: certificate, key: key, source: directory.keyPath(Self.caBaseName))
        case (_?, nil):
            throw PKIError(.conflict, "\(directory.certificatePath(Self.caBaseName)) exists without \(directory.keyPath(Self.caBaseName)); etcd-certs needs the CA key to sign, restore it")
        case (nil, _?):
            throw PKIError(.conflict, "\(directory.keyPath(Self.caBaseName)) exists without \(directory.certificatePath(Self.caBaseName)); restore the certificate or remove the key")
        }
    }

    /// True when the leaf's certificate and key are both there, match and come from the CA; false when both are absent.
    private func isKept(_ leaf: PlannedLeaf, authority: SigningAuthority?) throws -> Bool {
        let certificatePath = leaf.directory.certificatePath(leaf.fileBase)
        let certificate = try leaf.directory.readCertificate(leaf.fileBase)
        let key = try leaf.directory.readKey(leaf.fileBase)
        switch (certificate, key) {
        case (nil, nil):
            return false
        case let (certificate?, key?):
            guard key.matches(certificate) else {
                throw PKIError(.conflict, "\(certificatePath) does not match \(leaf.directory.keyPath(leaf.fileBase)); remove both to have them rebuilt")
            }
            guard let authority, certificate.isIssued(by: authority.certificate) else {
                throw PKIError(.conflict, "\(certificatePath) was not issued by the etcd CA in \(root)/ca.crt; remove it and its key to have them rebuilt")
            }
            return true
        default:
            throw PKIError(.conflict, "\(certificatePath) and \(leaf.directory.keyPath(leaf.fileBase)) must exist together; remove the one left to have the pair rebuilt")
        }
    }

    static func spec(_ name: String) throws -> LeafSpec {
        guard let spec = CertificateCatalogue.leaves.first(where: { $0.name == name }) else {
            throw PKIError(.crypto, "internal error: \(name) is not in the certificate catalogue")
        }
        return spec
    }

    /// The catalogue's etcd rows read a kubeadm node config: this member is the node.
    static func config(for member: EtcdMember, algorithm: KeyAlgorithm) throws -> ClusterConfig {
        try ClusterConfig.resolve(
            file: KubeadmConfigFile(),
            overrides: ConfigOverrides(nodeName: member.name, advertiseAddress: member.address.description, encryptionAlgorithm: algorithm.rawValue),
            host: .current
        )
    }

    private func relative(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}
