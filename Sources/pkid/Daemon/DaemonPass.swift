import Foundation
import Logging
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore

/// One pass as the daemon runs it: the renewal pass, its log lines and metrics, and the owed restarts.
struct DaemonPass {
    let context: DaemonContext
    let metrics: DaemonMetrics
    let logger: Logger

    /// Returns how the pass went and when the next is needed.
    func run() async -> PassSummary {
        let clock = context.clock
        let now = clock.date
        let outcome: RenewalPass.Outcome
        do {
            outcome = try await context.pass.run()
        } catch {
            logger.error("pass failed: \((error as? PKIError)?.message ?? "\(error)")")
            await metrics.recordFailedPass(at: clock.date)
            return PassSummary(nextPass: now + min(60, context.settings.checkInterval.seconds), finishedAt: clock.date,
                               succeeded: false, renewed: 0, problems: 1, nextRenewal: nil)
        }
        log(outcome, now: now)
        let restarts = await context.restarts.run(after: outcome.renewedNames) { step in
            switch step.result {
            case .restarted: await metrics.recordRestart(component: step.component.rawValue, succeeded: true)
            case .failed where !Task.isCancelled: await metrics.recordRestart(component: step.component.rawValue, succeeded: false)
            case .failed, .skipped: break
            }
        }
        let problems = outcome.problems + restarts.problems
        for problem in restarts.problems { logger.error("\(problem)") }
        let next = min(outcome.nextPass, restarts.retryAt ?? .distantFuture)
        let succeeded = problems.isEmpty
        await metrics.recordPass(outcome, succeeded: succeeded, pendingRestarts: restarts.owed, at: clock.date)
        logger.info("pass finished", metadata: ["succeeded": "\(succeeded)", "renewed": "\(outcome.renewedNames.count)"])
        return PassSummary(nextPass: max(next, clock.date + 1), finishedAt: clock.date, succeeded: succeeded,
                           renewed: outcome.renewedNames.count, problems: problems.count,
                           nextRenewal: PassSummary.firstRenewal(in: outcome))
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
            logger.warning("renew-before (\(context.settings.renewBeforeRule)) covers the whole lifetime of \(looping.map(\.rawValue).joined(separator: ", ")); renewing each at most once per check interval (\(context.settings.checkInterval))")
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

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
