import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

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
    public let clock: any WallClock
    public let log: ProgressLog

    public init(root: String, algorithm: KeyAlgorithm = .default, clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent) {
        self.root = root
        self.algorithm = algorithm
        self.clock = clock
        self.log = log
    }

    static var caBaseName: String { EtcdClusterLayout.authorityBaseName }

    /// A catalogue row with the directory it lands in; the file name is the row's own base name without `etcd/`.
    struct PlannedLeaf {
        let spec: CertificateSpec
        let directory: PKIDirectory
        let member: EtcdMember
        var fileBase: String { EtcdClusterLayout.fileBaseName(spec.name) }
    }

    /// What a run will do, judged from the files alone; a refusal is thrown here, before any write.
    struct Plan {
        var existingCA: SigningAuthority?
        var caCopies: [String] = []
        var toCreate: [PlannedLeaf] = []
        var kept: [String] = []

        var needsWrites: Bool { existingCA == nil || !toCreate.isEmpty || !caCopies.isEmpty }
    }

    @discardableResult
    public func run(members: [EtcdMember]) async throws -> Report {
        let directories = [root] + members.map { root + "/" + $0.name }
        // Judge the files before creating or locking anything, so a refusal leaves the disk as it was; a
        // swap a killed writer left half done is first finished under the lock, then everything is judged.
        if !directories.contains(where: hasInterruptedWrites) {
            let preview = try plan(members: members)
            guard preview.needsWrites else {
                log.info("[etcd-certs] Every certificate already exists; nothing to do")
                return Report(created: [], kept: preview.kept)
            }
            try AtomicFile.checkWritableDirectory(root)
        }
        let lock = try await PKILock.acquire(certificatesDir: root, timeout: PKILock.defaultTimeout, clock: clock)
        defer { withExtendedLifetime(lock) {} }
        for directory in directories {
            InterruptedWriteRecovery.report(try PKIDirectory(root: directory).completeInterruptedWrites(), log: log, phase: "etcd-certs")
        }
        let plan = try plan(members: members)
        let algorithms = Array(repeating: algorithm, count: plan.toCreate.count + (plan.existingCA == nil ? 1 : 0))
        let keys = try await BlockingWork.run { [plan] in plan.needsWrites ? try PrivateKey.generate(algorithms) : [] }
        return try execute(plan, members: members, keys: keys, now: clock.date)
    }

    /// `etcd-certs --renew-ca`: the etcd CA issued again with its own key (as `ca renew`: same subject and key
    /// identifiers, new serial and validity), then every member's copy replaced. Everything the CA signed keeps
    /// verifying against either certificate, so a kill between two files leaves a working cluster and a re-run
    /// completes it. Returns the files written.
    @discardableResult
    public func renewAuthority(validity: TimeInterval) async throws -> [String] {
        let rootDirectory = PKIDirectory(root: root)
        guard let current = try readAuthority(rootDirectory) else {
            throw PKIError(.missingCertificate, "\(rootDirectory.certificatePath(Self.caBaseName)) does not exist; run etcd-certs --members first")
        }
        let now = clock.date
        guard now + validity > current.certificate.notAfter else {
            throw PKIError(.invalidInput, "a validity of \(GoDuration.format(validity)) would end before \(rootDirectory.certificatePath(Self.caBaseName))'s current notAfter \(current.certificate.notAfter.formatted(.iso8601)); pass a longer --validity")
        }
        let copies = try memberCopies(of: current.certificate)
        try AtomicFile.checkWritableDirectory(root)
        let lock = try await PKILock.acquire(certificatesDir: root, timeout: PKILock.defaultTimeout, clock: clock)
        defer { withExtendedLifetime(lock) {} }
        let renewed = try current.reissued(serialNumber: try SecureRandom.serialNumber(), notBefore: now - CertificateTemplate.backdate, notAfter: now + validity)
        var written: [String] = []
        for path in [rootDirectory.certificatePath(Self.caBaseName)] + copies {
            try AtomicFile.write(renewed.pem(), to: path, mode: AtomicFile.certificateMode)
            log.info("[etcd-certs] Renewed the etcd CA in \(relative(path)) (notAfter \(renewed.notAfter.formatted(.iso8601)))")
            written.append(relative(path))
        }
        return written
    }

    /// Each member directory's copy of the CA (any serial of the same CA); a copy of another CA is refused.
    private func memberCopies(of authority: Certificate) throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return try names.sorted().compactMap { name in
            let copy = PKIDirectory(root: root + "/" + name).certificatePath(Self.caBaseName)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), isDirectory.boolValue,
                  !AtomicFile.isSymbolicLink(root + "/" + name), let data = try PKIDirectory.read(copy) else { return nil }
            guard CARenewal.sameAuthority(try Certificate(pem: data, source: copy), authority) else {
                throw PKIError(.wrongAuthority, "\(copy) is not the CA in \(PKIDirectory(root: root).certificatePath(Self.caBaseName)); remove \(name)/ to rebuild that member")
            }
            return copy
        }
    }

    /// Hidden staging files of PKIDirectory or AtomicFile that only a killed writer leaves behind.
    private func hasInterruptedWrites(in directory: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.contains { name in
            name.hasPrefix(".") && (name.hasSuffix("." + PKIDirectory.pendingSuffix) || name.hasSuffix("." + PKIDirectory.asideSuffix)
                                    || AtomicFile.isTemporaryName(name))
        }
    }

    func plan(members: [EtcdMember]) throws -> Plan {
        var plan = Plan()
        let rootDirectory = PKIDirectory(root: root)
        let existingCA = try readAuthority(rootDirectory)
        plan.existingCA = existingCA
        var leaves: [PlannedLeaf] = []
        for member in members {
            // A member directory holds its keys: one planted as a link would send them elsewhere.
            try AtomicFile.refuseSymbolicLink(root + "/" + member.name, choose: "--out directory")
            let directory = PKIDirectory(root: root + "/" + member.name)
            for name in EtcdClusterLayout.memberCertificates {
                leaves.append(PlannedLeaf(spec: name.spec, directory: directory, member: member))
            }
            let copy = directory.certificatePath(Self.caBaseName)
            if let data = try PKIDirectory.read(copy) {
                let certificate = try Certificate(pem: data, source: copy)
                guard let ca = existingCA, CARenewal.sameAuthority(certificate, ca.certificate) else {
                    throw PKIError(.wrongAuthority, "\(copy) is not the CA in \(rootDirectory.certificatePath(Self.caBaseName)); remove \(member.name)/ to rebuild that member")
                }
                // The same CA before a renewal in place (an interrupted --renew-ca): the copy is brought up to date.
                if certificate.isSameCertificate(as: ca.certificate) { plan.kept.append(relative(copy)) } else { plan.caCopies.append(copy) }
            } else {
                plan.caCopies.append(copy)
            }
        }
        if let first = members.first {
            leaves.append(PlannedLeaf(spec: EtcdClusterLayout.apiServerClient.spec, directory: rootDirectory, member: first))
        }
        for leaf in leaves {
            if try isKept(leaf, authority: existingCA) {
                plan.kept.append(relative(leaf.directory.certificatePath(leaf.fileBase)))
            } else {
                plan.toCreate.append(leaf)
            }
        }
        return plan
    }

    private func execute(_ plan: Plan, members: [EtcdMember], keys: [PrivateKey], now: Date) throws -> Report {
        var report = Report(created: [], kept: plan.kept)
        guard plan.needsWrites else { return report }
        let rootDirectory = PKIDirectory(root: root)
        let existingCA = plan.existingCA
        var unusedKeys = keys.makeIterator()

        let authority: SigningAuthority
        if let existingCA {
            authority = existingCA
            log.info("[etcd-certs] Using the existing etcd CA \(rootDirectory.certificatePath(Self.caBaseName))")
        } else {
            guard let key = unusedKeys.next() else {
                throw PKIError(.crypto, "internal error: no key for the etcd CA")
            }
            let spec = EtcdClusterLayout.authority.spec
            let config = try Self.config(for: members[0], algorithm: algorithm)
            let issued = try IssuedCertificate.selfSigned(spec.template(for: config, now: now, serial: SecureRandom.serialNumber()), key: key)
            try rootDirectory.write(certificate: issued, key: key, baseName: Self.caBaseName)
            authority = try SigningAuthority(certificate: try issued.certificate(), key: key, source: rootDirectory.keyPath(Self.caBaseName))
            log.info("[etcd-certs] Generated the etcd CA \(rootDirectory.certificatePath(Self.caBaseName))")
            report.created += [relative(rootDirectory.keyPath(Self.caBaseName)), relative(rootDirectory.certificatePath(Self.caBaseName))]
        }

        let caPEM = try authority.certificate.pem()
        for copy in plan.caCopies {
            try AtomicFile.createDirectory(URL(fileURLWithPath: copy).deletingLastPathComponent().path)
            try AtomicFile.write(caPEM, to: copy, mode: AtomicFile.certificateMode)
            report.created.append(relative(copy))
        }
        for leaf in plan.toCreate {
            guard let key = unusedKeys.next() else { throw PKIError(.crypto, "internal error: fewer keys generated than planned") }
            let config = try Self.config(for: leaf.member, algorithm: algorithm)
            let sans = try leaf.spec.subjectAltNames(for: config).names
            let template = leaf.spec.template(for: config, sans: sans, now: now, serial: try SecureRandom.serialNumber())
            let certificate = try authority.issue(template, for: key)
            try leaf.directory.write(certificate: certificate, key: key, baseName: leaf.fileBase)
            let path = leaf.directory.certificatePath(leaf.fileBase)
            log.info("[etcd-certs] Generated \(relative(path)) for \(certificate.template.subject)")
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
                throw PKIError(.notAnAuthority, "\(directory.certificatePath(Self.caBaseName)) is not a CA certificate; move it away to have a new etcd CA made")
            }
            return try SigningAuthority(certificate: certificate, key: key, source: directory.keyPath(Self.caBaseName))
        case (_?, nil):
            throw PKIError(.missingKey, "\(directory.certificatePath(Self.caBaseName)) exists without \(directory.keyPath(Self.caBaseName)); etcd-certs needs the CA key to sign, restore it")
        case (nil, _?):
            throw PKIError(.missingCertificate, "\(directory.keyPath(Self.caBaseName)) exists without \(directory.certificatePath(Self.caBaseName)); restore the certificate or remove the key")
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
                throw PKIError(.keyMismatch, "\(certificatePath) does not match \(leaf.directory.keyPath(leaf.fileBase)); remove both to have them rebuilt")
            }
            guard let authority, certificate.isIssued(by: authority.certificate) else {
                throw PKIError(.wrongAuthority, "\(certificatePath) was not issued by the etcd CA in \(PKIDirectory(root: root).certificatePath(Self.caBaseName)); remove it and its key to have them rebuilt")
            }
            return true
        default:
            throw PKIError(.missingKey, "\(certificatePath) and \(leaf.directory.keyPath(leaf.fileBase)) must exist together; remove the one left to have the pair rebuilt")
        }
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
