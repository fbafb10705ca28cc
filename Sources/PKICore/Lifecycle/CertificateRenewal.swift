import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `renew`: kubeadm's renewal (the current certificate is the template, new key, new serial, validity
/// from now) made crash-safe, serialised by the PKI lock, backed up, and reported item by item.
public struct CertificateRenewal: Sendable {
    public struct Options: Sendable {
        public var dryRun = false
        /// Where the previous files go; nil means no backup.
        public var backupDirectory: String?
        public var lockTimeout = PKILock.defaultTimeout
        /// kubeadm's closing line naming what to restart; off when the caller restarts them itself.
        public var restartReminder = true

        public init(dryRun: Bool = false, backupDirectory: String? = nil, lockTimeout: TimeInterval = PKILock.defaultTimeout,
                    restartReminder: Bool = true) {
            self.restartReminder = restartReminder
            self.dryRun = dryRun
            self.backupDirectory = backupDirectory
            self.lockTimeout = lockTimeout
        }
    }

    public struct Outcome: Sendable, Equatable {
        public enum Kind: String, Sendable { case renewed, wouldRenew = "would-renew", missing, external, failed }
        public let name: CertificateName
        public let kind: Kind
        public let oldSerial: String?
        public let newSerial: String?
        public let oldNotAfter: Date?
        public let newNotAfter: Date?
        public let error: String?
    }

    public struct Report: Sendable {
        public var outcomes: [Outcome] = []
        public var backupDirectory: String?
        /// The error that stopped the run after it started writing; earlier items stay renewed.
        public var failure: PKIError?
        /// The files as they are after the run, when the inventory recorded them.
        public var scanned: [ScannedCertificate]?
        /// Why the inventory was not updated, when it was not; the files were renewed all the same.
        public var recordingFailure: PKIError?

        public var renewedNames: [CertificateName] { outcomes.filter { $0.kind == .renewed }.map(\.name) }
    }

    public let config: ClusterConfig
    public let options: Options
    public let clock: any WallClock
    public let log: ProgressLog
    /// Where renewals are recorded; nil for none (and always none for a dry run).
    public let recorder: InventoryRecorder?

    public init(config: ClusterConfig, options: Options = Options(), clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent,
                recorder: InventoryRecorder? = nil) {
        self.config = config
        self.options = options
        self.clock = clock
        self.log = log
        self.recorder = recorder
    }

    /// kubeadm's closing line after `certs renew`, naming only the static pods that load what was renewed (all four,
    /// in kubeadm's words, after `renew all` on a stacked-etcd node).
    public static func restartReminder(for renewed: [CertificateName]) -> String {
        let affected = Set(CertificateCatalogue.components(loading: renewed).map(\.name))
        let names = CertificateCatalogue.kubeadmRestartNotice.filter(affected.contains).map(\.rawValue)
        guard let last = names.last else {
            return "Done renewing certificates. No static pod loads what was renewed, so nothing needs a restart."
        }
        let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + last : last
        return "Done renewing certificates. You must restart the \(list), so that they can use the new certificates."
    }

    /// What `renew all` renews on this node, in output order: kubeadm's names, and rows issued on request that
    /// exist here (pkid.conf).
    public static func renewableNames(for config: ClusterConfig) -> [CertificateName] {
        CertificateCatalogue.renewableNames(for: config).filter { $0.spec.isPresent(for: config) }
    }

    /// The names of a `renew` command line: `all` (kubeadm's, and rows issued on request that exist here), or
    /// names of the catalogue this cluster has.
    public static func parseNames(_ arguments: [String], for config: ClusterConfig) throws -> [CertificateName] {
        let known = CertificateCatalogue.renewableNames(for: config)
        if arguments == ["all"] { return renewableNames(for: config) }
        return try arguments.map { argument in
            guard let name = CertificateName(rawValue: argument), known.contains(name) else {
                throw PKIError(.unknownName, "unknown certificate name \"\(argument)\"; use all or one of: \(known.map(\.rawValue).joined(separator: ", "))")
            }
            return name
        }
    }

    /// The default backup folder: a timestamped folder under `<cert-dir>/../pki-backup/`.
    public static func defaultBackupDirectory(certificatesDir: String, now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let parent = URL(fileURLWithPath: certificatesDir).standardizedFileURL.deletingLastPathComponent().path
        return "\(parent)/pki-backup/\(formatter.string(from: now))"
    }

    /// Checks every requested item first (a refusal changes nothing), then renews them in name order.
    public func run(names: [CertificateName]) async throws -> Report {
        let now = clock.date
        let directory = config.pkiDirectory
        if !options.dryRun { try AtomicFile.checkWritableDirectory(config.certificatesDir) }
        let lock = options.dryRun ? nil : try await PKILock.acquire(certificatesDir: config.certificatesDir, timeout: options.lockTimeout, clock: clock)
        defer { withExtendedLifetime(lock) {} }
        if !options.dryRun {
            try InterruptedWriteRecovery.run(config: config, directory: directory, log: log, phase: "renew")
        }
        let plan = try RenewalPlan.make(names: names, config: config, now: now)
        let toRenew = plan.items.filter { if case .renew = $0.step { true } else { false } }
        if !options.dryRun {
            let directories = Set(toRenew.flatMap { $0.location.files.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent().path } })
            for directory in directories.sorted() { try AtomicFile.checkWritableDirectory(directory) }
        }

        var report = Report()
        let algorithms = options.dryRun ? [] : toRenew.map(keyAlgorithm)
        let keys = try await BlockingWork.run { try PrivateKey.generate(algorithms) }
        if !options.dryRun, let backup = options.backupDirectory, !toRenew.isEmpty {
            report.backupDirectory = try backUp(toRenew.flatMap(\.location.files), into: backup)
        }

        var unusedKeys = keys.makeIterator()
        for item in plan.items {
            switch item.step {
            case .missing:
                log.info("MISSING! \(item.spec.longName)")
                report.outcomes.append(Outcome(name: item.spec.name, kind: .missing, oldSerial: nil, newSerial: nil, oldNotAfter: nil, newNotAfter: nil, error: nil))
            case .external(let authority):
                log.info("Detected external \(authority.rawValue), \(item.spec.longName) can't be renewed")
                report.outcomes.append(Outcome(name: item.spec.name, kind: .external, oldSerial: nil, newSerial: nil, oldNotAfter: nil, newNotAfter: nil, error: nil))
            case .renew(let current, let signer):
                if options.dryRun {
                    log.info("\(item.spec.longName) would be renewed")
                    report.outcomes.append(Outcome(name: item.spec.name, kind: .wouldRenew, oldSerial: current.serialNumberHex, newSerial: nil,
                                                   oldNotAfter: current.notAfter, newNotAfter: nil, error: nil))
                    continue
                }
                guard report.failure == nil, let key = unusedKeys.next() else { continue }
                do {
                    let renewed = try renew(item, current: current, signer: signer, key: key, now: now)
                    log.info("\(item.spec.longName) renewed")
                    report.outcomes.append(Outcome(name: item.spec.name, kind: .renewed, oldSerial: current.serialNumberHex,
                                                   newSerial: renewed.serialNumberHex, oldNotAfter: current.notAfter,
                                                   newNotAfter: renewed.notAfter, error: nil))
                } catch {
                    let failure = error as? PKIError ?? PKIError(.io, "\(error)")
                    report.failure = failure
                    report.outcomes.append(Outcome(name: item.spec.name, kind: .failed, oldSerial: current.serialNumberHex, newSerial: nil,
                                                   oldNotAfter: current.notAfter, newNotAfter: nil, error: failure.message))
                }
            }
        }
        if options.dryRun {
            log.info("\nDry run: nothing was changed.")
        } else if options.restartReminder, report.outcomes.contains(where: { $0.kind == .renewed }), report.failure == nil {
            log.info("\n" + Self.restartReminder(for: report.renewedNames))
        }
        if !options.dryRun, let recorder {
            let result = InventoryRecorder.attempt(log) { [report] in try recorder.recordRenewal(report, at: now) }
            report.scanned = try? result.get()
            report.recordingFailure = result.failure
        }
        return report
    }

    /// The configured algorithm; with none configured, the current key's (kubeadm would read the cluster's
    /// config, which a node-local tool does not have).
    private func keyAlgorithm(for item: RenewalPlan.Item) -> KeyAlgorithm {
        guard !config.keyAlgorithmIsConfigured, case .renew(let current, _) = item.step,
              let algorithm = try? current.publicKey().algorithm else { return config.keyAlgorithm }
        return algorithm
    }

    private func renew(_ item: RenewalPlan.Item, current: Certificate, signer: SigningAuthority, key: PrivateKey, now: Date) throws -> IssuedCertificate {
        let template = CertificateTemplate.renewing(current, serial: try SecureRandom.serialNumber(), now: now, validity: config.certificateValidity)
        let renewed = try signer.issue(template, for: key)
        // During a CA rotation a serving certificate keeps the cross-signed chain that clients of the old CA need.
        if let pair = item.location as? KeyPairLocation, current.extendedKeyUsage.contains(.serverAuth),
           let chain = try CARotationFiles(authority: item.spec.authority, directory: config.pkiDirectory).servingChain(signedBy: signer) {
            try pair.directory.write(certificate: renewed, key: key, baseName: pair.baseName, chain: chain)
        } else {
            try item.location.write(renewed, key: key, authority: signer.certificate)
        }
        return renewed
    }

    /// Copies each file into `directory` (keeping paths under the cert dir, kubeconfigs by name) with its mode. The
    /// copy is made in a hidden `.NAME.pkictl-partial` directory beside it and renamed into place when whole, so a
    /// kill never leaves a half backup under a real name; the next backup into the same parent removes such
    /// leftovers. Keys are never written through a symbolic link: neither the backup parent nor the backup may be one.
    private func backUp(_ files: [StoredFile], into directory: String) throws -> String {
        try PKIBackup.write(files, into: directory, certificatesDir: config.certificatesDir)
    }
}
