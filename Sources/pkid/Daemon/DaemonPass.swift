import Foundation
import Logging
import PKICrypto
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

/// One pass as the daemon runs it: the renewal pass, its log lines and metrics, and the owed restarts.
struct DaemonPass {
    let context: DaemonContext
    let metrics: DaemonMetrics
    let logger: Logger

    /// Returns when the next pass is needed.
    func run() async -> Date {
        let now = Date()
        var outcome: RenewalPass.Outcome
        do {
            outcome = try context.pass.run(now: now)
        } catch {
            logger.error("pass failed: \(error)")
            await metrics.recordFailedPass(at: Date())
            return now + min(60, context.settings.checkInterval)
        }
        log(outcome, now: now)
        var problems = outcome.problems
        var next = outcome.nextPass
        do {
            let restarts = try await restartAffected(by: outcome.renewedNames, now: now)
            problems += restarts.problems
            if let retry = restarts.retryAt { next = min(next, retry) }
        } catch {
            problems.append("restart bookkeeping failed: \(error)")
        }
        let succeeded = problems.isEmpty
        await metrics.recordPass(outcome, succeeded: succeeded, at: Date())
        logger.info("pass finished", metadata: ["succeeded": "\(succeeded)", "renewed": "\(outcome.renewedNames.count)"])
        return max(next, Date() + 1)
    }

    private func log(_ outcome: RenewalPass.Outcome, now: Date) {
        for item in outcome.items {
            var metadata: Logger.Metadata = ["name": "\(item.name)", "not_after": "\(Self.timestamp(item.notAfter))",
                                             "renew_at": "\(Self.timestamp(item.schedule.renewAt))"]
            if let retry = item.retryAt { metadata["retry_at"] = "\(Self.timestamp(retry))" }
            logger.info(item.renewNow ? "due now" : "scheduled", metadata: metadata)
        }
        let looping = outcome.items.filter(\.schedule.windowCoversLifetime).map(\.name)
        if !looping.isEmpty {
            logger.warning("renew-before (\(context.settings.renewBefore)) covers the whole lifetime of \(looping.map(\.rawValue).joined(separator: ", ")); renewing each at most once per check interval (\(GoDuration.format(context.settings.checkInterval)))")
        }
        for skipped in outcome.skipped {
            logger.info("not renewable here: \(skipped.reason)", metadata: ["name": "\(skipped.name)"])
        }
        for result in outcome.renewal?.outcomes ?? [] where result.kind == .renewed {
            logger.info("renewed", metadata: ["name": "\(result.name)", "old_serial": "\(result.oldSerial ?? "")",
                                              "new_serial": "\(result.newSerial ?? "")",
                                              "new_not_after": "\(result.newNotAfter.map(Self.timestamp) ?? "")"])
        }
        if let backup = outcome.renewal?.backupDirectory {
            logger.info("previous certificates and keys kept", metadata: ["backup_dir": "\(backup)"])
        }
        for authority in outcome.expiringAuthorities {
            logger.error("CA \(authority.name) expires at \(Self.timestamp(authority.notAfter)), inside the warning window; CAs are never renewed automatically: plan a CA rotation now",
                         metadata: ["name": "\(authority.name)"])
        }
        for problem in outcome.problems {
            logger.error("\(problem)")
        }
    }

    /// Adds the components that use renewed certificates to the owed restarts, then rolls out every owed
    /// restart whose backoff allows it, in catalogue order, stopping at the first component that fails.
    private func restartAffected(by renewed: [CertificateName], now: Date) async throws -> (problems: [String], retryAt: Date?) {
        let inventory = context.recorder.inventory
        let affected = CertificateCatalogue.components(loading: renewed).map(\.name.rawValue)
        guard let rollout = context.rollout else {
            if !affected.isEmpty {
                logger.info("restart strategy none: restart \(affected.joined(separator: ", ")) yourself to load the new certificates")
            }
            return ([], nil)
        }
        try inventory.addPendingRestarts(affected, at: now)
        let pending = try inventory.pendingRestarts()
        guard !pending.isEmpty else { return ([], nil) }
        // A component that failed waits one check interval; the ones after it wait with it (order matters).
        let interval = context.settings.checkInterval
        if let held = pending.compactMap({ entry in entry.lastAttempt.map { $0 + interval } }).filter({ $0 > now }).min() {
            logger.info("restarts wait after a failed one", metadata: ["until": "\(Self.timestamp(held))"])
            return ([], held)
        }
        let components = CertificateCatalogue.components.filter { component in pending.contains { $0.component == component.name.rawValue } }
        var problems: [String] = []
        _ = await rollout.run(components) { step in
            switch step.result {
            case .restarted(let seconds):
                logger.info("restarted", metadata: ["component": "\(step.component)", "strategy": "\(rollout.restarter.strategyName)",
                                                    "health_seconds": "\(String(format: "%.1f", seconds))"])
                try? inventory.completeRestart(step.component.rawValue)
                try? inventory.record(HistoryEntry(at: Date(), actor: "pkid", name: step.component.rawValue, result: "restarted"))
                await metrics.recordRestart(component: step.component.rawValue, succeeded: true)
            case .failed(let reason) where Task.isCancelled:
                // Interrupted by shutdown: still owed, retried at the next start without a backoff.
                logger.warning("restart interrupted by shutdown", metadata: ["component": "\(step.component)", "reason": "\(reason)"])
            case .failed(let reason):
                logger.error("restart failed; later components are left alone", metadata: ["component": "\(step.component)", "reason": "\(reason)"])
                problems.append(reason)
                try? inventory.failRestart(step.component.rawValue, at: Date())
                try? inventory.record(HistoryEntry(at: Date(), actor: "pkid", name: step.component.rawValue, result: "restart-failed", error: reason))
                await metrics.recordRestart(component: step.component.rawValue, succeeded: false)
            case .skipped:
                logger.info("restart postponed", metadata: ["component": "\(step.component)"])
            }
        }
        return (problems, problems.isEmpty ? nil : Date() + interval)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
