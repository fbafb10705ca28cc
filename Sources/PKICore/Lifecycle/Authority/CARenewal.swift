import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// `pkictl ca renew`: a CA certificate issued again with the same key, subject and key identifiers, a new serial
/// and validity, written to the cert dir and to every kubeconfig of this node that carries it. Everything the CA
/// signed keeps verifying, and the discovery hash (the key's pin) stays the same. Each file is replaced atomically
/// on its own: old and new certificates verify the same chains, so a kill between two files leaves a node that
/// works, and a re-run completes it.
public struct CARenewal: Sendable {
    public struct Item: Sendable {
        public let authority: AuthorityName
        public let certificateFile: String
        public let current: Certificate
        public let signer: SigningAuthority
        public let notAfter: Date
        /// Kubeconfigs whose certificate-authority-data is this CA (old or renewed copy).
        public let kubeconfigs: [String]
        /// Static pods that read this CA's certificate at start.
        public let components: [ComponentName]
    }

    public struct Outcome: Sendable {
        public let authority: AuthorityName
        public let oldSerial: String
        public let newSerial: String
        public let oldNotAfter: Date
        public let newNotAfter: Date
        public let files: [String]
    }

    public struct Report: Sendable {
        public var outcomes: [Outcome] = []
        public var backupDirectory: String?
        public var recordingFailure: PKIError?
    }

    public let config: ClusterConfig
    /// The new certificates' lifetime; kubeadm's caCertificateValidityPeriod by default.
    public let validity: TimeInterval
    public let clock: any WallClock
    public let log: ProgressLog
    public let lockTimeout: TimeInterval
    public let recorder: InventoryRecorder?

    public init(config: ClusterConfig, validity: TimeInterval? = nil, clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent,
                lockTimeout: TimeInterval = PKILock.defaultTimeout, recorder: InventoryRecorder? = nil) {
        self.config = config
        self.validity = validity ?? config.caCertificateValidity
        self.clock = clock
        self.log = log
        self.lockTimeout = lockTimeout
        self.recorder = recorder
    }

    /// `all` (every CA of this cluster whose key is here) or CA names.
    public func names(_ arguments: [String]) throws -> [AuthorityName] {
        let known = CertificateCatalogue.authorities(for: config).map(\.name)
        if arguments == ["all"] {
            return known.filter { FileManager.default.fileExists(atPath: $0.spec.location(in: config.pkiDirectory).keyPath) }
        }
        return try arguments.map { argument in
            guard let name = AuthorityName(rawValue: argument), known.contains(name) else {
                throw PKIError(.unknownName, "unknown CA \"\(argument)\"; use all or one of: \(known.map(\.rawValue).joined(separator: ", "))")
            }
            return name
        }
    }

    /// What would be written, judged from the files; nothing is written. Every CA is checked before any is renewed.
    public func plan(_ names: [AuthorityName]) throws -> [Item] {
        let now = clock.date
        return try names.map { name in
            let location = name.spec.location(in: config.pkiDirectory)
            guard let credentials = try location.readCredentials() else {
                throw PKIError(.missingCertificate, "CA certificate \(location.path) is missing; restore it (a CA is renewed in place, never made anew here)")
            }
            guard let key = credentials.key else {
                throw PKIError(.missingKey, "\(location.keyPath) is missing: \(name) is an external CA here; renew it where its key is kept and copy the certificate")
            }
            let signer = try SigningAuthority(certificate: credentials.certificate, key: key, source: location.keyPath)
            let rotation = CARotationFiles(authority: name, directory: config.pkiDirectory)
            if rotation.isUnderWay {
                throw PKIError(.invalidInput, "a rotation of \(name) is under way (\(rotation.nextCertificatePath) exists); finish it with pkictl ca rotate instead of renewing the CA in place")
            }
            guard credentials.certificate.isCA, credentials.certificate.isSelfSigned else {
                throw PKIError(.notAnAuthority, "\(location.path) is not a self-signed CA certificate; only a root CA is renewed in place")
            }
            let notAfter = now + validity
            guard notAfter > credentials.certificate.notAfter else {
                throw PKIError(.invalidInput, "a validity of \(GoDuration.format(validity)) would end \(notAfter.formatted(.iso8601)), before \(location.path)'s current notAfter \(credentials.certificate.notAfter.formatted(.iso8601)); pass a longer --validity")
            }
            return Item(authority: name, certificateFile: location.path, current: credentials.certificate, signer: signer, notAfter: notAfter,
                        kubeconfigs: try kubeconfigCopies(of: credentials.certificate),
                        components: CertificateCatalogue.components(for: config).filter { $0.trusts.contains(name) }.map(\.name))
        }
    }

    /// Renews `names` under the PKI lock, after a backup of every file it replaces (nil: no backup).
    public func run(_ names: [AuthorityName], backupDirectory: String?) async throws -> Report {
        let lock = try await PKILock.acquire(certificatesDir: config.certificatesDir, timeout: lockTimeout, clock: clock)
        defer { withExtendedLifetime(lock) {} }
        try InterruptedWriteRecovery.run(config: config, directory: config.pkiDirectory, log: log, phase: "ca renew")
        let items = try plan(names)
        var report = Report()
        if let backupDirectory, !items.isEmpty {
            let files = items.flatMap { [StoredFile(path: $0.certificateFile, kind: .certificate)] + $0.kubeconfigs.map { StoredFile(path: $0, kind: .kubeconfig) } }
            report.backupDirectory = try PKIBackup.write(files, into: backupDirectory, certificatesDir: config.certificatesDir)
        }
        let now = clock.date
        for item in items {
            let issued = try item.signer.reissued(serialNumber: try SecureRandom.serialNumber(), notBefore: now - CertificateTemplate.backdate,
                                                  notAfter: item.notAfter)
            let renewed = try issued.certificate()
            try AtomicFile.write(issued.pem(), to: item.certificateFile, mode: AtomicFile.certificateMode)
            log.info("[ca] \(item.authority): renewed \(item.certificateFile) (serial \(item.current.serialNumberHex) -> \(renewed.serialNumberHex), notAfter \(renewed.notAfter.formatted(.iso8601)))")
            for path in item.kubeconfigs {
                try replaceAuthorityData(in: path, with: issued.pem())
                log.info("[ca] \(item.authority): updated certificate-authority-data of \(path)")
            }
            report.outcomes.append(Outcome(authority: item.authority, oldSerial: item.current.serialNumberHex, newSerial: renewed.serialNumberHex,
                                           oldNotAfter: item.current.notAfter, newNotAfter: renewed.notAfter,
                                           files: [item.certificateFile] + item.kubeconfigs))
        }
        if let recorder {
            let outcomes = report.outcomes
            report.recordingFailure = InventoryRecorder.attempt(log) { try recorder.recordCARenewal(outcomes, at: now) }.failure
        }
        return report
    }

    /// The kubeconfigs of this node (the catalogue's, present) whose CA data is a certificate of this CA: the same
    /// subject and key, whichever serial.
    private func kubeconfigCopies(of authority: Certificate) throws -> [String] {
        var copies: [String] = []
        for spec in CertificateCatalogue.kubeconfigs + CertificateCatalogue.issuedOnRequest {
            guard case .kubeconfig = spec.storage else { continue }
            let path = spec.location(for: config).path
            guard let data = try PKIDirectory.read(path) else { continue }
            let kubeconfig = try Kubeconfig.parse(data, source: path)
            guard let authorityData = kubeconfig.certificateAuthority,
                  let embedded = try? Certificate.parseAll(pem: authorityData, source: path), embedded.count == 1,
                  let only = embedded.first, Self.sameAuthority(only, authority) else { continue }
            copies.append(path)
        }
        return copies
    }

    static func sameAuthority(_ a: Certificate, _ b: Certificate) -> Bool {
        guard let first = try? a.pin(), let second = try? b.pin(), first == second else { return false }
        return (try? a.subjectNameDER()) == (try? b.subjectNameDER())
    }

    /// Replaces this kubeconfig's CA data with the renewed certificate, every other byte kept.
    private func replaceAuthorityData(in path: String, with pem: Data) throws {
        guard let data = try PKIDirectory.read(path) else { return }
        try AtomicFile.write(try Kubeconfig.updatingAuthority(data, source: path, certificateAuthority: pem), to: path, mode: AtomicFile.kubeconfigMode)
    }
}
