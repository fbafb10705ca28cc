import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// `pkictl ca rotate`: a CA replaced by one with a new key, in four phases, each idempotent, crash-safe and
/// detectable from the files alone (`CARotationFiles`), so `--status` and a re-run after a crash know where they are.
///
/// 1. **prepare**: the new CA (`<ca>-next`) and its cross-signed certificate (`<ca>-cross.crt`) are staged.
/// 2. **trust**: every copy of the CA on this node becomes a bundle of the old and the new certificate: the CA file
///    (its first certificate stays the one matching the key), the kubeconfigs' CA data; kube-controller-manager's
///    single-certificate flags move to `ca-signing.crt`. The CA file is written last: it is this phase's commit point.
/// 3. **reissue**: the new CA signs: the CA pair is swapped (new key, bundle new then old), then every certificate
///    the old CA signed here is issued again with a new key; serving certificates carry the cross-signed
///    certificate as their chain, so clients that hold only the old CA keep verifying them.
/// 4. **finish**: the old CA leaves every bundle and chain, the staged files go; the old key is kept in the
///    reissue phase's backup only.
public struct CARotation: Sendable {
    public let config: ClusterConfig
    public let authority: AuthorityName
    public let manifestsDir: String
    /// The kubelet's client certificate (`kubelet-client-current.pem`), issued again by reissue when the cluster
    /// CA rotates; nil to leave it to the operator.
    public let kubeletClientPath: String?
    public let clock: any WallClock
    public let log: ProgressLog
    public let lockTimeout: TimeInterval

    public init(config: ClusterConfig, authority: AuthorityName, manifestsDir: String, kubeletClientPath: String?,
                clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent, lockTimeout: TimeInterval = PKILock.defaultTimeout) {
        self.config = config
        self.authority = authority
        self.manifestsDir = manifestsDir
        self.kubeletClientPath = kubeletClientPath
        self.clock = clock
        self.log = log
        self.lockTimeout = lockTimeout
    }

    public var files: CARotationFiles { CARotationFiles(authority: authority, directory: config.pkiDirectory) }

    /// Where this node's rotation of the CA is.
    public struct Status: Sendable, Equatable {
        public let authority: AuthorityName
        public let state: CARotationState
        /// The pin of the CA that signs now (the key in place).
        public let currentPin: SPKIPin
        /// The pin of the staged new CA, while a rotation is under way.
        public let nextPin: SPKIPin?
        /// Files still signed by the old CA while reissuing.
        public let pending: [String]
    }

    /// One step of a phase: what it does, in words (the dry run prints them), and the doing.
    public struct Step: Sendable {
        public let description: String
        let perform: @Sendable () throws -> Void
    }

    /// A phase worked out from the files: its steps, the backup it needs, what to restart and what the operator
    /// does by hand where this node cannot.
    public struct Plan: Sendable {
        public let phase: CARotationPhase
        public let status: Status
        /// Empty when the phase is already complete here.
        public let steps: [Step]
        public let backup: [StoredFile]
        public let restarts: [ComponentName]
        public let manualSteps: [String]
    }

    public func status() throws -> Status {
        try status(try files.read())
    }

    func status(_ contents: CARotationFiles.Contents) throws -> Status {
        var state = try files.state(contents)
        var pending: [String] = []
        if state == .reissuing, let next = contents.next {
            pending = try signedByOld(next: next.certificate).map(\.path)
            if pending.isEmpty { state = .reissued }
        }
        return Status(authority: authority, state: state, currentPin: try contents.inPlace.pin(), nextPin: try contents.next?.certificate.pin(),
                      pending: pending)
    }

    /// The plan of `phase` (default: the next one); refuses a phase out of order in one line.
    public func plan(_ requested: CARotationPhase?) throws -> Plan {
        let contents = try files.read()
        let status = try status(contents)
        let phase = requested ?? status.state.next
        let restarts = CertificateCatalogue.components(for: config).filter { $0.trusts.contains(authority) }.map(\.name)
        let manual = CARotationManualSteps(authority: authority, config: config)
        if status.state.completed == phase && phase != .prepare {
            return Plan(phase: phase, status: status, steps: [], backup: [], restarts: [], manualSteps: [])
        }
        if phase == .finish && status.state == .idle {
            return Plan(phase: phase, status: status, steps: [], backup: [], restarts: [], manualSteps: [])
        }
        guard phase == status.state.next || (phase == .prepare && status.state == .prepared) else {
            let order = phase < status.state.next ? "is past" : "has not reached"
            throw PKIError(.invalidInput, "the rotation of \(authority) is \(status.state.rawValue) here and \(order) --phase \(phase.rawValue); run --phase \(status.state.next.rawValue)")
        }
        switch phase {
        case .prepare:
            return Plan(phase: phase, status: status, steps: try prepareSteps(contents), backup: [], restarts: [], manualSteps: [])
        case .trust:
            let (steps, backup) = try trustSteps(contents)
            return Plan(phase: phase, status: status, steps: steps, backup: backup, restarts: restarts, manualSteps: manual.afterTrust())
        case .reissue:
            let (steps, backup) = try reissueSteps(contents)
            return Plan(phase: phase, status: status, steps: steps, backup: backup, restarts: restarts, manualSteps: manual.afterReissue())
        case .finish:
            let (steps, backup) = try finishSteps(contents, status: status)
            return Plan(phase: phase, status: status, steps: steps, backup: backup, restarts: restarts, manualSteps: manual.afterFinish())
        }
    }

    /// Runs a phase under the PKI lock: interrupted writes are completed first, the plan is made from the files as
    /// they are then, the backup is written, then each step.
    /// `check` sees the plan before anything is written (the multi-node gate) and may refuse it.
    public func run(_ requested: CARotationPhase?, backupDirectory: String?,
                    check: (Plan) throws -> Void = { _ in }) async throws -> (plan: Plan, backup: String?) {
        try AtomicFile.checkWritableDirectory(config.certificatesDir)
        let lock = try await PKILock.acquire(certificatesDir: config.certificatesDir, timeout: lockTimeout, clock: clock)
        defer { withExtendedLifetime(lock) {} }
        try InterruptedWriteRecovery.run(config: config, directory: config.pkiDirectory, log: log, phase: "ca rotate")
        AtomicFile.removeUnpublishedTemporaryFiles(in: manifestsDir)
        if let kubeletClientPath { AtomicFile.removeUnpublishedTemporaryFiles(in: URL(fileURLWithPath: kubeletClientPath).deletingLastPathComponent().path) }
        let plan = try plan(requested)
        try check(plan)
        var backup: String?
        if let backupDirectory, !plan.backup.isEmpty {
            backup = try PKIBackup.write(plan.backup, into: backupDirectory, certificatesDir: config.certificatesDir)
        }
        for step in plan.steps {
            try step.perform()
            log.info("[ca rotate] \(authority): \(step.description)")
        }
        return (plan, backup)
    }

    // MARK: Phases

    private func prepareSteps(_ contents: CARotationFiles.Contents) throws -> [Step] {
        let files = files
        let now = clock.date
        let old = try SigningAuthority(certificate: contents.inPlace, key: contents.key, source: files.keyPath)
        guard old.certificate.notAfter > now else {
            throw PKIError(.expired, "\(files.certificatePath) expired at \(old.certificate.notAfter.formatted(.iso8601)); nothing it signed verifies, so there is nothing to rotate smoothly: make a new PKI")
        }
        var steps: [Step] = []
        let validity = config.caCertificateValidity
        let algorithm = config.keyAlgorithmIsConfigured ? config.keyAlgorithm : (try? contents.key.publicKey().algorithm) ?? config.keyAlgorithm
        var next = contents.next
        if next == nil {
            // Generated now, in the plan, so the dry run names the key it would make; written only by the step.
            let key = try PrivateKey.generate(algorithm)
            let template = CertificateTemplate(subject: old.certificate.subject, serialNumber: try SecureRandom.serialNumber(),
                                               notBefore: now - CertificateTemplate.backdate, notAfter: now + validity, isCA: true,
                                               pathLength: old.certificate.pathLength, keyUsage: old.certificate.keyUsage,
                                               subjectAltNames: old.certificate.subjectAltNames)
            let issued = try IssuedCertificate.selfSigned(template, key: key)
            let staged = try SigningAuthority(certificate: try issued.certificate(), key: key, source: files.nextKeyPath)
            next = staged
            steps.append(Step(description: "\(files.nextCertificatePath): the new CA, staged (\(algorithm.rawValue), pin \(try staged.certificate.pin()))") {
                try files.directory.write(certificate: issued, key: key, baseName: files.nextBaseName)
            })
        }
        guard let next else { return steps }
        let crossValid = contents.cross.map { cross in
            cross.isIssued(by: old.certificate) && next.key.matches(cross) && cross.isCA
        } ?? false
        if !crossValid {
            let template = CertificateTemplate(subject: next.certificate.subject, serialNumber: try SecureRandom.serialNumber(),
                                               notBefore: now - CertificateTemplate.backdate,
                                               notAfter: min(next.certificate.notAfter, old.certificate.notAfter), isCA: true,
                                               pathLength: next.certificate.pathLength, keyUsage: next.certificate.keyUsage,
                                               subjectAltNames: next.certificate.subjectAltNames)
            let cross = try old.issue(template, for: next.key)
            steps.append(Step(description: "\(files.crossPath): the new CA's key certified by the old CA") {
                try AtomicFile.write(cross.pem(), to: files.crossPath, mode: AtomicFile.certificateMode)
            })
        }
        return steps
    }

    private func trustSteps(_ contents: CARotationFiles.Contents) throws -> ([Step], [StoredFile]) {
        let files = files
        guard let next = contents.next else { throw PKIError(.missingCertificate, "\(files.nextCertificatePath) is missing; run --phase prepare") }
        guard let cross = contents.cross, cross.isIssued(by: contents.inPlace), next.key.matches(cross) else {
            throw PKIError(.missingCertificate, "\(files.crossPath) is missing or not the new CA certified by the old one; run --phase prepare again")
        }
        let bundle = try contents.inPlace.pem() + next.certificate.pem()
        var steps: [Step] = []
        var backup = [StoredFile(path: files.certificatePath, kind: .certificate)]
        if files.hasSingleCertificateConsumers {
            let flags = SigningFlags(manifestsDir: manifestsDir, files: files)
            let signing = try contents.inPlace.pem()
            let key = try contents.key.pem()
            steps.append(Step(description: "\(files.signingCertificatePath): the CA in place alone, for \(ComponentName.kubeControllerManager.rawValue)") {
                try files.directory.writePair(secondary: (files.signingKeyPath, key, AtomicFile.keyMode),
                                              primary: (files.signingCertificatePath, signing, AtomicFile.certificateMode))
            })
            backup.append(StoredFile(path: flags.manifestPath, kind: .kubeconfig))
            steps.append(Step(description: "\(flags.manifestPath): \(ComponentName.kubeControllerManager.rawValue)'s single-certificate flags name \(files.signingCertificatePath)") {
                try flags.point(toSigning: true)
            })
        }
        for path in try kubeconfigsCarrying(contents) {
            backup.append(StoredFile(path: path, kind: .kubeconfig))
            steps.append(Step(description: "\(path): certificate-authority-data holds the old and the new CA") {
                try Self.setAuthorityData(of: path, to: bundle)
            })
        }
        steps.append(Step(description: "\(files.certificatePath): the old CA (signing), then the new one") {
            try AtomicFile.write(bundle, to: files.certificatePath, mode: AtomicFile.certificateMode)
        })
        return (steps, backup)
    }

    private func reissueSteps(_ contents: CARotationFiles.Contents) throws -> ([Step], [StoredFile]) {
        let files = files
        guard let next = contents.next, let cross = contents.cross else {
            throw PKIError(.missingCertificate, "\(files.nextCertificatePath) or \(files.crossPath) is missing; restore them from the prepare phase")
        }
        let old = contents.signsWithNext ? contents.bundle.first { !CARenewal.sameAuthority($0, next.certificate) } : contents.inPlace
        guard let old else { throw PKIError(.invalidInput, "\(files.certificatePath) no longer holds the old CA; run --phase finish") }
        let bundle = try next.certificate.pem() + old.pem()
        let crossPEM = try cross.pem()
        let now = clock.date
        var steps: [Step] = []
        var backup = files.allFiles
        if !contents.signsWithNext {
            let key = try next.key.pem()
            steps.append(Step(description: "\(files.keyPath): the new CA's key; \(files.certificatePath): the new CA (signing), then the old one") {
                try files.directory.writePair(secondary: (files.keyPath, key, AtomicFile.keyMode), primary: (files.certificatePath, bundle, AtomicFile.certificateMode))
            })
        }
        if files.hasSingleCertificateConsumers {
            let signing = try next.certificate.pem(), key = try next.key.pem()
            steps.append(Step(description: "\(files.signingCertificatePath): the new CA alone, which \(ComponentName.kubeControllerManager.rawValue) signs with") {
                try files.directory.writePair(secondary: (files.signingKeyPath, key, AtomicFile.keyMode),
                                              primary: (files.signingCertificatePath, signing, AtomicFile.certificateMode))
            })
        }
        let leaves = try leaves()
        for leaf in leaves where !leaf.credentials.certificate.isIssued(by: next.certificate) {
            backup += leaf.location.files
            steps.append(try reissueStep(leaf, signer: next, bundle: bundle, chain: crossPEM, now: now))
        }
        for path in try kubeconfigsCarrying(contents) where !leaves.contains(where: { $0.location.path == path }) {
            backup.append(StoredFile(path: path, kind: .kubeconfig))
            steps.append(Step(description: "\(path): certificate-authority-data holds the new CA and the old one") {
                try Self.setAuthorityData(of: path, to: bundle)
            })
        }
        if let kubelet = try kubeletClient(), !kubelet.certificate.isIssued(by: next.certificate) {
            backup.append(StoredFile(path: kubelet.path, kind: .privateKey))
            steps.append(try kubelet.reissueStep(signer: next, validity: config.certificateValidity, now: now))
        }
        return (steps, backup)
    }

    private func finishSteps(_ contents: CARotationFiles.Contents, status: Status) throws -> ([Step], [StoredFile]) {
        let files = files
        guard status.pending.isEmpty, let next = contents.next else {
            throw PKIError(.invalidInput, "still signed by the old \(authority): \(status.pending.joined(separator: ", ")); run --phase reissue first")
        }
        let alone = try next.certificate.pem()
        var steps: [Step] = []
        var backup = files.allFiles
        if contents.bundle.count > 1 {
            steps.append(Step(description: "\(files.certificatePath): the new CA alone") {
                try AtomicFile.write(alone, to: files.certificatePath, mode: AtomicFile.certificateMode)
            })
        }
        if files.hasSingleCertificateConsumers {
            let flags = SigningFlags(manifestsDir: manifestsDir, files: files)
            backup.append(StoredFile(path: flags.manifestPath, kind: .kubeconfig))
            steps.append(Step(description: "\(flags.manifestPath): \(ComponentName.kubeControllerManager.rawValue)'s flags name \(files.certificatePath) again") {
                try flags.point(toSigning: false)
                for path in [files.signingCertificatePath, files.signingKeyPath] { try Self.remove(path) }
            })
        }
        for path in try kubeconfigsCarrying(contents) {
            backup.append(StoredFile(path: path, kind: .kubeconfig))
            steps.append(Step(description: "\(path): certificate-authority-data holds the new CA alone") {
                try Self.setAuthorityData(of: path, to: alone)
            })
        }
        for leaf in try leaves() {
            guard case let location as KeyPairLocation = leaf.location, let data = try PKIDirectory.read(location.path),
                  try Certificate.parseAll(pem: data, source: location.path).count > 1 else { continue }
            let only = try leaf.credentials.certificate.pem()
            steps.append(Step(description: "\(location.path): the certificate alone, without the cross-signed one") {
                try AtomicFile.write(only, to: location.path, mode: AtomicFile.certificateMode)
            })
        }
        steps.append(Step(description: "\(files.crossPath), \(files.nextKeyPath), \(files.nextCertificatePath): removed (the old key is kept in the reissue phase's backup only)") {
            for path in [files.crossPath, files.nextKeyPath, files.nextCertificatePath] { try Self.remove(path) }
        })
        return (steps, backup)
    }

    // MARK: What the CA signed and where it is trusted

    struct Leaf {
        let spec: CertificateSpec
        let location: any CertificateLocation
        let credentials: StoredCredentials
    }

    /// The certificates of the catalogue this CA signs that exist here and that pkictl writes.
    func leaves() throws -> [Leaf] {
        try CertificateCatalogue.renewableNames(for: config).map(\.spec).filter { $0.authority == authority }.compactMap { spec in
            let location = spec.location(for: config)
            guard let credentials = try location.readCredentials(), !credentials.isManagedElsewhere else { return nil }
            return Leaf(spec: spec, location: location, credentials: credentials)
        }
    }

    /// Files on this node still signed by the old CA (anything not issued by `next`).
    func signedByOld(next: Certificate) throws -> [any CertificateLocation] {
        var pending: [any CertificateLocation] = try leaves().filter { !$0.credentials.certificate.isIssued(by: next) }.map(\.location)
        if let kubelet = try kubeletClient(), !kubelet.certificate.isIssued(by: next) { pending.append(PEMBundleLocation(path: kubelet.path)) }
        return pending
    }

    /// The catalogue's kubeconfigs present here whose CA data holds this CA (old or new certificate).
    func kubeconfigsCarrying(_ contents: CARotationFiles.Contents) throws -> [String] {
        guard authority == .ca else { return [] }
        var paths: [String] = []
        for spec in CertificateCatalogue.kubeconfigs + CertificateCatalogue.issuedOnRequest {
            guard case .kubeconfig = spec.storage else { continue }
            let path = spec.location(for: config).path
            guard let data = try PKIDirectory.read(path), let authorityData = try Kubeconfig.parse(data, source: path).certificateAuthority,
                  let embedded = try? Certificate.parseAll(pem: authorityData, source: path),
                  embedded.contains(where: { copy in contents.bundle.contains { CARenewal.sameAuthority(copy, $0) }
                      || contents.next.map { CARenewal.sameAuthority(copy, $0.certificate) } == true }) else { continue }
            paths.append(path)
        }
        return paths
    }

    /// The kubelet's client certificate on this node, when the cluster CA rotates and the file exists.
    func kubeletClient() throws -> KubeletClientCertificate? {
        guard authority == .ca, let kubeletClientPath else { return nil }
        return try KubeletClientCertificate.read(kubeletClientPath)
    }

    private func reissueStep(_ leaf: Leaf, signer: SigningAuthority, bundle: Data, chain: Data, now: Date) throws -> Step {
        let current = leaf.credentials.certificate
        let algorithm = config.keyAlgorithmIsConfigured ? config.keyAlgorithm : (try? current.publicKey().algorithm) ?? config.keyAlgorithm
        let template = CertificateTemplate.renewing(current, serial: try SecureRandom.serialNumber(), now: now, validity: config.certificateValidity)
        let location = leaf.location
        let serving = current.extendedKeyUsage.contains(.serverAuth)
        return Step(description: "\(location.path): issued by the new CA with a new key\(serving ? ", the cross-signed certificate as its chain" : "")") {
            let key = try PrivateKey.generate(algorithm)
            let issued = try signer.issue(template, for: key)
            switch location {
            case let pair as KeyPairLocation:
                try pair.directory.write(certificate: issued, key: key, baseName: pair.baseName, chain: serving ? chain : Data())
            default:
                guard let original = try PKIDirectory.read(location.path) else { return }
                let updated = try Kubeconfig.updatingCredentials(original, source: location.path, certificateAuthority: bundle,
                                                                 clientCertificate: issued.pem(), clientKey: try key.pem())
                try AtomicFile.write(updated, to: location.path, mode: AtomicFile.kubeconfigMode)
            }
        }
    }

    static func setAuthorityData(of path: String, to pem: Data) throws {
        guard let data = try PKIDirectory.read(path) else { return }
        guard try Kubeconfig.parse(data, source: path).certificateAuthority != pem else { return }
        try AtomicFile.write(try Kubeconfig.updatingAuthority(data, source: path, certificateAuthority: pem), to: path, mode: AtomicFile.kubeconfigMode)
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw AtomicFile.ioError("remove", path) }
    }
}
