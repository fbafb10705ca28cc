import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// Which owed restarts to make now: a pure function of what is owed, the time and the retry interval.
public struct RestartPlan: Sendable, Equatable {
    /// To restart now, in the catalogue's order.
    public let due: [ComponentName]
    /// When a failed restart allows the owed ones to be tried again; nil when nothing waits.
    public let waitUntil: Date?

    /// A component whose restart failed waits one retry interval, and every owed restart waits with it: the
    /// order matters (etcd before the API server before its clients), so none overtakes another.
    public static func make(owed: [PendingRestart], now: Date, retryInterval: TimeInterval) -> RestartPlan {
        let owedNames = Set(owed.compactMap { ComponentName(rawValue: $0.component) })
        if let held = owed.compactMap({ $0.lastAttempt.map { $0 + retryInterval } }).filter({ $0 > now }).min() {
            return RestartPlan(due: [], waitUntil: held)
        }
        return RestartPlan(due: CertificateCatalogue.components.map(\.name).filter(owedNames.contains), waitUntil: nil)
    }
}

/// The restarts renewals make necessary, with their books: components owed a restart (kept in the inventory so
/// that a daemon restart keeps the promise), backoff after a failure, and one history row per restart. pkid and
/// `pkictl renew --restart` both run it.
public struct StaticPodRestarts: Sendable {
    public struct Outcome: Sendable {
        public var steps: [StaticPodRollout.Step] = []
        /// Failed restarts and bookkeeping failures: either makes a pass unsuccessful.
        public var problems: [String] = []
        /// When the owed restarts should be tried again; nil when nothing is owed or waits.
        public var retryAt: Date?
        /// Restarts still owed after this run.
        public var owed: [ComponentName] = []
        /// Why owed restarts wait without having failed (the lock is taken, a gate said wait); nil otherwise.
        public var postponed: String?
    }

    /// How soon a postponed restart is tried again: another node's rollout or an etcd member's recovery takes
    /// minutes, not a check interval.
    public static let postponedRetry: TimeInterval = 60

    public let inventory: Inventory
    /// "pkictl" or "pkid", in history rows.
    public let actor: String
    /// nil for `--restart-strategy none`: what is owed is logged for the operator, nothing restarts.
    public let rollout: StaticPodRollout?
    public let retryInterval: TimeInterval
    public let clock: any WallClock
    public let log: ProgressLog
    /// The cluster-wide lock taken around a rollout; nil on a single node (`--coordination none`).
    public let coordination: RestartCoordination?

    public init(inventory: Inventory, actor: String, rollout: StaticPodRollout?, retryInterval: TimeInterval,
                clock: any WallClock = SystemWallClock(), log: ProgressLog, coordination: RestartCoordination? = nil) {
        self.inventory = inventory
        self.actor = actor
        self.rollout = rollout
        self.coordination = coordination
        self.retryInterval = retryInterval
        self.clock = clock
        self.log = log
    }

    /// Adds the restarts `renewed` makes owed, then restarts, one at a time, every owed component the plan allows,
    /// stopping at the first one that does not come back. `onStep` sees each step as it ends.
    /// `alsoOwed` adds components owed for another reason (a CA certificate renewed in place).
    public func run(after renewed: [CertificateName], alsoOwed: [ComponentName] = [],
                    onStep: (StaticPodRollout.Step) async -> Void = { _ in }) async -> Outcome {
        var outcome = Outcome()
        let loading = Set(CertificateCatalogue.components(loading: renewed).map(\.name) + alsoOwed)
        let affected = CertificateCatalogue.components.map(\.name).filter(loading.contains)
        guard let rollout else {
            if !affected.isEmpty {
                log.info("restart strategy none: restart \(affected.map(\.rawValue).joined(separator: ", ")) yourself to load the new certificates")
            }
            return outcome
        }
        let now = clock.date
        let owed: [PendingRestart]
        do {
            try inventory.addPendingRestarts(affected.map(\.rawValue), at: now)
            owed = try inventory.pendingRestarts()
        } catch {
            outcome.problems.append("restart bookkeeping failed, nothing was restarted: \(Self.message(error))")
            outcome.retryAt = now + retryInterval
            return outcome
        }
        let plan = RestartPlan.make(owed: owed, now: now, retryInterval: retryInterval)
        outcome.retryAt = plan.waitUntil
        outcome.owed = owed.compactMap { ComponentName(rawValue: $0.component) }
        if let held = plan.waitUntil {
            log.info("restarts of \(outcome.owed.map(\.rawValue).joined(separator: ", ")) wait after a failed one until \(held.formatted(.iso8601))")
            return outcome
        }
        guard !plan.due.isEmpty else { return outcome }

        let components = plan.due.map(\.spec)
        if let coordination {
            // The outcome is built inside the lock's closure and handed out as its result.
            let start = outcome
            let held = await coordination.holding { stillHeld in
                var inner = start
                inner.steps = await rollout.run(components, mayContinue: stillHeld, onStep: { step in
                    record(step, strategy: rollout.restarter.strategyName, into: &inner)
                    await onStep(step)
                })
                return inner
            } restartedAny: { outcome in
                outcome.steps.contains { if case .restarted = $0.result { true } else { false } }
            }
            guard let held else {
                outcome.postponed = "the cluster-wide restart lock (\(coordination.lock.description)) is held by another node"
                outcome.retryAt = clock.date + Self.postponedRetry
                return outcome
            }
            outcome = held
        } else {
            outcome.steps = await rollout.run(components, onStep: { step in
                record(step, strategy: rollout.restarter.strategyName, into: &outcome)
                await onStep(step)
            })
        }
        if let reason = outcome.steps.compactMap(\.result.postponedReason).first {
            outcome.postponed = reason
            outcome.retryAt = clock.date + Self.postponedRetry
        }
        if outcome.steps.contains(where: { if case .failed = $0.result { true } else { false } }) {
            outcome.retryAt = clock.date + retryInterval
        }
        outcome.owed = (try? inventory.pendingRestarts().compactMap { ComponentName(rawValue: $0.component) }) ?? outcome.owed
        return outcome
    }

    /// The books of one step; a bookkeeping failure is a problem, never silently dropped.
    private func record(_ step: StaticPodRollout.Step, strategy: String, into outcome: inout Outcome) {
        let name = step.component.rawValue
        do {
            switch step.result {
            case .restarted(let seconds):
                log.info("restarted \(name) (\(strategy)); healthy after \(String(format: "%.1f", seconds))s")
                try inventory.completeRestart(name)
                try inventory.record(HistoryEntry(at: clock.date, actor: actor, name: name, result: "restarted"))
            case .failed(let reason) where Task.isCancelled:
                // Interrupted by shutdown: still owed, retried at the next start without a backoff.
                log.warning("restart of \(name) interrupted by shutdown (\(reason)); it stays owed")
            case .failed(let reason):
                log.warning("\(name): restart failed; later components are left alone (\(reason))")
                outcome.problems.append(reason)
                try inventory.failRestart(name, at: clock.date)
                try inventory.record(HistoryEntry(at: clock.date, actor: actor, name: name, result: "restart-failed", error: reason))
            case .skipped:
                log.info("restart of \(name) postponed until the components before it are healthy")
            case .postponed(let reason):
                log.info("restart of \(name) postponed, still owed: \(reason)")
            }
        } catch {
            outcome.problems.append("restart bookkeeping for \(name) failed: \(Self.message(error))")
        }
    }

    private static func message(_ error: any Error) -> String {
        (error as? PKIError)?.message ?? "\(error)"
    }
}
