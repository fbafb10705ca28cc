import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

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
    }

    public struct Report: Sendable, Equatable {
        public var created: [String] = []
        public var reused: [String] = []
    }

    public let config: ClusterConfig
    public let now: Date
    public let log: ProgressLog
    public let lockTimeout: TimeInterval

    public init(config: ClusterConfig, now: Date = Date(), log: ProgressLog = .silent, lockTimeout: TimeInterval = PKILock.defaultTimeout) {
        self.config = config
        self.now = now
        self.log = log
        self.lockTimeout = lockTimeout
    }

    public var directory: PKIDirectory { config.pkiDirectory }

    @discardableResult
    public func run(_ scope: Scope) throws -> Report {
        // Judge the files before creating or locking anything, so a refusal leaves the disk as it was;
        // then judge them again under the lock, after finishing any write a killed writer left.
        let preview = try InitPlan.make(scope: scope, config: config, now: now)
        for warning in preview.warnings { log.warning("[certs] WARNING: \(warning)") }
        if preview.needsWrites {
            try AtomicFile.checkWritableDirectory(config.certificatesDir)
            if scope == .all { try AtomicFile.checkWritableDirectory(config.kubeconfigDir) }
        }
        let lock = try PKILock.acquire(certificatesDir: config.certificatesDir, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        try InterruptedWriteRecovery.run(config: config, directory: directory, log: log, phase: "certs")
        let plan = try InitPlan.make(scope: scope, config: config, now: now)
        let keys = try PrivateKey.generate(Array(repeating: config.keyAlgorithm, count: plan.keysNeeded))
        return try InitExecution(plan: plan, config: config, now: now, log: log, keys: keys).run()
    }
}
