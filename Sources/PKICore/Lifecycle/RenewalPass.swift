import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// What pkid is told about when to renew; everything else comes from the kubeadm config.
public struct RenewalPolicy: Sendable {
    public var renewBefore: RenewalSchedule.RenewBefore
    /// Upper bound between passes, and the least time between two renewals of a certificate whose
    /// renew-before covers its whole lifetime.
    public var checkInterval: TimeInterval
    /// A CA closer than this to its notAfter is reported loudly (a CA is renewed only by `pkictl ca renew` or pkid --renew-cas).
    public var caWarningWindow: TimeInterval
    /// Seeds the per-host jitter; the node name.
    public var host: String
    /// First retry delay after a failed renewal; doubles per failure, capped at the check interval.
    public var firstRetryDelay: TimeInterval = 60

    public static let defaultCheckInterval: TimeInterval = 3600
    public static let defaultCAWarningWindow: TimeInterval = 90 * 86400

    public init(renewBefore: RenewalSchedule.RenewBefore = .default, checkInterval: TimeInterval = defaultCheckInterval,
                caWarningWindow: TimeInterval = defaultCAWarningWindow, host: String) {
        self.renewBefore = renewBefore
        self.checkInterval = checkInterval
        self.caWarningWindow = caWarningWindow
        self.host = host
    }
}

/// One pass of the daemon: refresh the inventory from the files, renew what is due through the same code as
/// `pkictl renew` (lock, backups, history), and say when the next pass is needed. Restarts are the caller's.
public struct RenewalPass: Sendable {
    /// A renewable certificate and its schedule.
    public struct Item: Sendable {
        public let name: CertificateName
        public let notAfter: Date
        public let schedule: RenewalSchedule
        /// When a failed or rate-limited renewal may next be tried; nil when nothing holds it back.
        public let retryAt: Date?
        public let renewNow: Bool
    }

    public struct Outcome: Sendable {
        public var scanned: [ScannedCertificate] = []
        public var items: [Item] = []
        /// Renewable names that cannot be renewed here (missing, external CA), with the reason.
        public var skipped: [(name: CertificateName, reason: String)] = []
        public var renewal: CertificateRenewal.Report?
        /// CAs inside the warning window.
        public var expiringAuthorities: [(name: String, notAfter: Date)] = []
        /// What made this pass unsuccessful (unreadable files, failed renewals).
        public var problems: [String] = []
        public var nextPass: Date = .distantFuture

        public var renewedNames: [CertificateName] { renewal?.renewedNames ?? [] }
    }

    public let config: ClusterConfig
    /// Records the scan, the renewals and the attempts; pkid cannot keep its promises without a database.
    public let recorder: InventoryRecorder
    public let policy: RenewalPolicy
    /// Backup folder for a renewal made at a given instant; nil for none.
    public let backupDirectory: @Sendable (Date) -> String?
    public let clock: any WallClock
    public let log: ProgressLog

    public init(config: ClusterConfig, recorder: InventoryRecorder, policy: RenewalPolicy,
                backupDirectory: @escaping @Sendable (Date) -> String?, clock: any WallClock = SystemWallClock(), log: ProgressLog) {
        self.config = config
        self.recorder = recorder
        self.policy = policy
        self.backupDirectory = backupDirectory
        self.clock = clock
        self.log = log
    }

    /// One pass at the clock's current time.
    public func run() async throws -> Outcome {
        let now = clock.date
        var outcome = Outcome()
        outcome.scanned = try recorder.refresh(at: now)
        let attempts = try recorder.inventory.renewalAttempts()
        let renewable = Set(CertificateCatalogue.renewableNames(for: config))

        for scanned in outcome.scanned {
            if case .unreadable(let error) = scanned.state { outcome.problems.append(error.message) }
            if scanned.role == .authority, let certificate = scanned.certificate,
               certificate.notAfter.timeIntervalSince(now) < policy.caWarningWindow {
                outcome.expiringAuthorities.append((scanned.name, certificate.notAfter))
            }
            guard let name = CertificateName(rawValue: scanned.name), renewable.contains(name) else { continue }
            guard let certificate = scanned.certificate else {
                if case .missing = scanned.state { outcome.skipped.append((name, "missing")) }
                continue
            }
            if scanned.externallyManaged {
                outcome.skipped.append((name, "signed by an external CA"))
                continue
            }
            outcome.items.append(item(name, certificate, attempt: attempts[scanned.name], now: now))
        }

        let due = Self.renewedTogether(outcome.items, now: now)
        if !due.isEmpty {
            try await renew(due, attempts: attempts, now: now, into: &outcome)
        }
        outcome.nextPass = nextPass(after: now, items: outcome.items, renewed: Set(outcome.renewedNames))
        if !outcome.problems.isEmpty {
            // Come back soon; the backoff recorded per name decides whether a retry is then allowed.
            outcome.nextPass = min(outcome.nextPass, now + min(policy.firstRetryDelay, policy.checkInterval))
        }
        return outcome
    }

    /// What to renew now: every due item, and with it every other item its static pod loads, so that a component
    /// restarts once per renewal window rather than once per certificate. An item held back by a failure's backoff
    /// waits for its own retry.
    static func renewedTogether(_ items: [Item], now: Date) -> [CertificateName] {
        var names = Set(items.filter(\.renewNow).map(\.name))
        let held = Set(items.filter { $0.retryAt.map { $0 > now } ?? false }.map(\.name))
        for component in CertificateCatalogue.components(loading: names) {
            names.formUnion(component.certificates.filter { sibling in items.contains { $0.name == sibling } && !held.contains(sibling) })
        }
        return names.sorted()
    }

    private func item(_ name: CertificateName, _ certificate: Certificate, attempt: RenewalAttempt?, now: Date) -> Item {
        let schedule = RenewalSchedule(notBefore: certificate.notBefore, notAfter: certificate.notAfter,
                                       renewBefore: policy.renewBefore, jitterSeed: "\(policy.host)/\(name.rawValue)")
        var retryAt: Date?
        if let attempt, attempt.failures > 0 {
            let backoff = policy.firstRetryDelay * pow(2, Double(min(attempt.failures - 1, 30)))
            retryAt = attempt.at + min(policy.checkInterval, backoff)
        } else if let attempt, schedule.windowCoversLifetime {
            // Always due: renewing on every pass would loop, so at most once per check interval.
            retryAt = attempt.at + policy.checkInterval
        }
        let held = retryAt.map { $0 > now } ?? false
        return Item(name: name, notAfter: certificate.notAfter, schedule: schedule, retryAt: retryAt,
                    renewNow: schedule.isDue(at: now) && !held)
    }

    private func renew(_ names: [CertificateName], attempts: [String: RenewalAttempt], now: Date, into outcome: inout Outcome) async throws {
        let renewal = CertificateRenewal(config: config, options: .init(backupDirectory: backupDirectory(now)), clock: clock, log: log,
                                         recorder: recorder)
        let report: CertificateRenewal.Report
        do {
            report = try await renewal.run(names: names)
        } catch {
            // Refused before writing anything (lock timeout, a damaged pair): every due name failed this time.
            let message = (error as? PKIError)?.message ?? "\(error)"
            for name in names {
                try recorder.inventory.record(RenewalAttempt(name: name.rawValue, at: now, failures: (attempts[name.rawValue]?.failures ?? 0) + 1, error: message))
            }
            outcome.problems.append("renewal of \(names.map(\.rawValue).joined(separator: ", ")) failed: \(message)")
            return
        }
        outcome.renewal = report
        // The files changed: what the pass reports (and pkid exports) is what is on disk now.
        if let recordingFailure = report.recordingFailure {
            outcome.problems.append("the inventory was not updated: \(recordingFailure.message)")
        }
        outcome.scanned = report.scanned ?? recorder.scan.run()
        for result in report.outcomes {
            switch result.kind {
            case .renewed:
                try recorder.inventory.record(RenewalAttempt(name: result.name.rawValue, at: now, failures: 0, error: nil))
            case .failed:
                try recorder.inventory.record(RenewalAttempt(name: result.name.rawValue, at: now, failures: (attempts[result.name.rawValue]?.failures ?? 0) + 1,
                                                             error: result.error))
                outcome.problems.append("renewal of \(result.name.rawValue) failed: \(result.error ?? "unknown error")")
            case .missing, .external, .wouldRenew:
                break
            }
        }
    }

    /// The next renewal time or retry, or one check interval from now, whichever is first. Renewed names are
    /// left to the next pass's fresh schedule (their new notAfter is far away).
    private func nextPass(after now: Date, items: [Item], renewed: Set<CertificateName>) -> Date {
        var next = now + policy.checkInterval
        for item in items where !renewed.contains(item.name) {
            let candidate = item.renewNow ? (item.retryAt ?? now) : max(item.schedule.renewAt, item.retryAt ?? .distantPast)
            if candidate > now { next = min(next, candidate) }
        }
        return next
    }
}
