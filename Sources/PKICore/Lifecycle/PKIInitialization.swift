import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `init-ca` and `init`: create what is missing of a cluster's PKI, reuse what is valid, refuse what is not.
///
/// Every existing file is checked before anything is written, so a refusal leaves the disk untouched.
/// Keys are generated together on all cores, then certificates are signed and written, CAs first.
public struct PKIInitialization: Sendable {
    public enum Scope: Sendable {
        /// CAs and the service-account key pair (`init-ca`).
        case authorities
        /// Everything `kubeadm init phase certs all` and `kubeconfig all` create (`init`).
        case all
        /// One row issued on request (`pkictl pkid-kubeconfig`), signed by the CAs already there.
        case issued(CertificateName)

        var writesKubeconfigs: Bool {
            switch self {
            case .authorities: false
            case .all: true
            case .issued(let name): if case .kubeconfig = name.spec.storage { true } else { false }
            }
        }
    }

    public struct Report: Sendable {
        public var created: [String] = []
        public var reused: [String] = []
        /// Why the inventory was not updated, when it was not; the files were written all the same.
        public var recordingFailure: PKIError?
    }

    public let config: ClusterConfig
    public let clock: any WallClock
    public let log: ProgressLog
    public let lockTimeout: TimeInterval
    /// Where the issuances are recorded; nil for none.
    public let recorder: InventoryRecorder?

    public init(config: ClusterConfig, clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent,
                lockTimeout: TimeInterval = PKILock.defaultTimeout, recorder: InventoryRecorder? = nil) {
        self.config = config
        self.clock = clock
        self.log = log
        self.lockTimeout = lockTimeout
        self.recorder = recorder
    }

    public var directory: PKIDirectory { config.pkiDirectory }

    @discardableResult
    public func run(_ scope: Scope) async throws -> Report {
        let now = clock.date
        // A writer killed in the middle of a swap left staged files: finish its work (or set it aside) under the
        // lock before judging anything, so the files are judged as they really are. A cert dir that does not
        // exist yet has nothing to finish and is not created before the plan is known to be good.
        var lock: PKILock?
        if FileManager.default.fileExists(atPath: config.certificatesDir) {
            lock = try await lockAndRecover()
        }
        defer { withExtendedLifetime(lock) {} }
        let preview = try InitPlan.make(scope: scope, config: config, now: now)
        for warning in preview.warnings { log.warning("[certs] WARNING: \(warning)") }
        if preview.needsWrites {
            try AtomicFile.checkWritableDirectory(config.certificatesDir)
            if scope.writesKubeconfigs { try AtomicFile.checkWritableDirectory(config.kubeconfigDir) }
        }
        let plan: InitPlan
        if lock == nil {
            lock = try await lockAndRecover()
            plan = try InitPlan.make(scope: scope, config: config, now: now)
        } else {
            plan = preview
        }
        let algorithms = Array(repeating: config.keyAlgorithm, count: plan.keysNeeded)
        let keys = try await BlockingWork.run { try PrivateKey.generate(algorithms) }
        var report = try InitExecution(plan: plan, config: config, now: now, log: log, keys: keys).run()
        if let recorder {
            let created = report.created
            report.recordingFailure = InventoryRecorder.attempt(log) { try recorder.recordCreated(created, at: now) }.failure
        }
        return report
    }
}

extension PKIInitialization {
    private func lockAndRecover() async throws -> PKILock {
        let lock = try await PKILock.acquire(certificatesDir: config.certificatesDir, timeout: lockTimeout, clock: clock)
        try InterruptedWriteRecovery.run(config: config, directory: directory, log: log, phase: "certs")
        return lock
    }
}

extension Result {
    /// The error of a failed result, nil on success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
