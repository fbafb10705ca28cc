import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// `pkictl sa-key rotate`: a new service-account signing key in three stages, each detectable from the files
/// alone, so `--status` and a re-run after a crash know where they are.
///
/// 1. **prepare**: the new key is staged as `sa-next.key`; `sa.pub` holds the old and the new public key, so the API
///    server (after a restart) accepts tokens signed by either.
/// 2. **switch**: `sa.key` becomes the new key (the old one is kept as `sa-previous.key`): the API server and
///    kube-controller-manager sign with it after their restart.
/// 3. **finish**: `sa.pub` holds the new public key only, and the old key goes to the backup. Tokens signed by the
///    old key stop verifying: run it once they have expired (the grace period is the operator's choice).
public struct ServiceAccountKeyRotation: Sendable {
    public enum Phase: String, CaseIterable, Sendable {
        case prepare, `switch`, finish
    }

    /// Where the files say the rotation is.
    public enum State: Sendable, Equatable {
        /// One key, nothing staged: the next phase is prepare.
        case idle
        /// The new key is staged and trusted: the next phase is switch.
        case prepared
        /// Signing with the new key, both trusted: the next phase is finish.
        case switched

        public var next: Phase {
            switch self {
            case .idle: .prepare
            case .prepared: .switch
            case .switched: .finish
            }
        }
    }

    public static let nextBaseName = "sa-next"
    public static let previousBaseName = "sa-previous"

    public let config: ClusterConfig
    public let clock: any WallClock
    public let log: ProgressLog
    public let lockTimeout: TimeInterval

    public init(config: ClusterConfig, clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent,
                lockTimeout: TimeInterval = PKILock.defaultTimeout) {
        self.config = config
        self.clock = clock
        self.log = log
        self.lockTimeout = lockTimeout
    }

    private var directory: PKIDirectory { config.pkiDirectory }
    private var baseName: String { CertificateCatalogue.serviceAccountKey.baseName }

    /// The state of the files, after checking that they are consistent; a mix no phase leaves is an error naming
    /// the files.
    public func state() throws -> State {
        guard let current = try directory.readKey(baseName) else {
            throw PKIError(.missingKey, "\(directory.keyPath(baseName)) is missing; there is no service-account key to rotate")
        }
        let trusted = try publicKeys()
        let next = try directory.readKey(Self.nextBaseName)
        let previous = try directory.readKey(Self.previousBaseName)
        let trustsCurrent = trusted.contains { current.matches($0) }
        let currentIsNext = try next.map { current.matches(try $0.publicKey()) } ?? false
        let currentIsPrevious = try previous.map { current.matches(try $0.publicKey()) } ?? false
        let trustsNext = next.map { key in trusted.contains { key.matches($0) } } ?? false
        let trustsPrevious = previous.map { key in trusted.contains { key.matches($0) } } ?? false
        switch (next != nil, previous != nil) {
        case (false, false) where trustsCurrent && trusted.count == 1:
            return .idle
        case (true, false) where trustsCurrent && trustsNext:
            return .prepared
        case (true, false) where trustsCurrent && trusted.count == 1 && !currentIsNext:
            // Killed between staging the key and trusting it: prepare completes it.
            return .idle
        case (false, true) where trustsCurrent && trustsPrevious:
            return .switched
        case (false, true) where trustsCurrent && trusted.count == 1:
            // Killed after sa.pub dropped the old key, before the old key went: finish completes it.
            return .switched
        case (true, true) where currentIsNext && trustsPrevious:
            // Killed between installing the new key and removing its staged copy: switch completes it.
            return .prepared
        case (true, true) where currentIsPrevious && trustsNext:
            // Killed after keeping the old key, before installing the new one: switch completes it.
            return .prepared
        default:
            throw PKIError(.keyMismatch, "\(directory.keyPath(baseName)), \(directory.publicKeyPath(baseName)), \(directory.keyPath(Self.nextBaseName)) and \(directory.keyPath(Self.previousBaseName)) are not a state a rotation leaves; restore them from the backup in pki-backup")
        }
    }

    /// Runs `phase` (default: the next one) under the PKI lock; a phase already done is a one-line error.
    @discardableResult
    public func run(_ phase: Phase? = nil, backupDirectory: String?) async throws -> Phase {
        let lock = try await PKILock.acquire(certificatesDir: config.certificatesDir, timeout: lockTimeout, clock: clock)
        defer { withExtendedLifetime(lock) {} }
        let state = try state()
        let phase = phase ?? state.next
        guard phase == state.next else {
            throw PKIError(.invalidInput, "the service-account key rotation is ready for --phase \(state.next.rawValue), not \(phase.rawValue); see pkictl sa-key rotate --status")
        }
        let files = [directory.keyPath(baseName), directory.publicKeyPath(baseName), directory.keyPath(Self.nextBaseName), directory.keyPath(Self.previousBaseName)]
            .filter { FileManager.default.fileExists(atPath: $0) }
        if let backupDirectory {
            let backup = try PKIBackup.write(files.map { StoredFile(path: $0, kind: $0.hasSuffix(".pub") ? .publicKey : .privateKey) },
                                             into: backupDirectory, certificatesDir: config.certificatesDir)
            log.info("[sa] previous files kept in \(backup)")
        }
        switch phase {
        case .prepare: try prepare()
        case .switch: try switchSigning()
        case .finish: try finish()
        }
        return phase
    }

    /// The static pods that must restart after `phase` to use it.
    public static func restarts(after phase: Phase) -> [ComponentName] {
        switch phase {
        case .prepare, .finish: [.kubeAPIServer]
        case .switch: [.kubeAPIServer, .kubeControllerManager]
        }
    }

    private func prepare() throws {
        let next: PrivateKey
        if let staged = try directory.readKey(Self.nextBaseName) {
            next = staged
        } else {
            guard let current = try directory.readKey(baseName) else { throw PKIError(.missingKey, "\(directory.keyPath(baseName)) is missing") }
            // The configured algorithm, else the current key's.
            let algorithm = config.keyAlgorithmIsConfigured ? config.keyAlgorithm : ((try? current.publicKey().algorithm) ?? config.keyAlgorithm)
            next = try PrivateKey.generate(algorithm)
            try AtomicFile.write(try next.pem(), to: directory.keyPath(Self.nextBaseName), mode: AtomicFile.keyMode)
        }
        let trusted = try publicKeys().filter { !next.matches($0) }
        try writePublicKeys(trusted + [try next.publicKey()])
        log.info("[sa] staged \(directory.keyPath(Self.nextBaseName)); \(directory.publicKeyPath(baseName)) now trusts the old and the new key")
    }

    private func switchSigning() throws {
        guard let next = try directory.readKey(Self.nextBaseName), let current = try directory.readKey(baseName) else {
            throw PKIError(.missingKey, "\(directory.keyPath(Self.nextBaseName)) is missing; run --phase prepare first")
        }
        if !current.matches(try next.publicKey()) {
            try AtomicFile.write(try current.pem(), to: directory.keyPath(Self.previousBaseName), mode: AtomicFile.keyMode)
            try AtomicFile.write(try next.pem(), to: directory.keyPath(baseName), mode: AtomicFile.keyMode)
        }
        try FileManager.default.removeItem(atPath: directory.keyPath(Self.nextBaseName))
        log.info("[sa] \(directory.keyPath(baseName)) is the new key; the old one is kept as \(directory.keyPath(Self.previousBaseName)) until --phase finish")
    }

    private func finish() throws {
        guard let current = try directory.readKey(baseName) else { throw PKIError(.missingKey, "\(directory.keyPath(baseName)) is missing") }
        try writePublicKeys([try current.publicKey()])
        try FileManager.default.removeItem(atPath: directory.keyPath(Self.previousBaseName))
        log.info("[sa] \(directory.publicKeyPath(baseName)) trusts the new key only; the old key is only in the backup")
    }

    /// Every `PUBLIC KEY` block of sa.pub, in order.
    func publicKeys() throws -> [PublicKey] {
        let path = directory.publicKeyPath(baseName)
        guard let data = try PKIDirectory.read(path) else {
            throw PKIError(.missingKey, "\(path) is missing; write it from \(directory.keyPath(baseName)) first (pkictl init-ca does)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let end = "-----END PUBLIC KEY-----"
        let blocks = text.components(separatedBy: end).dropLast().map { $0 + end + "\n" }
        guard !blocks.isEmpty else { throw PKIError(.unreadableKey, "\(path) holds no PEM public key; restore it from a backup") }
        return try blocks.map { try PublicKey(pem: Data($0.utf8), source: path) }
    }

    private func writePublicKeys(_ keys: [PublicKey]) throws {
        var data = Data()
        for key in keys { data += try key.pem() }
        try AtomicFile.write(data, to: directory.publicKeyPath(baseName), mode: AtomicFile.keyMode)
    }
}
