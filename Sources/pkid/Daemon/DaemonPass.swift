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
        let context = self.context.refreshed(logger: logger)
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
        let caRestarts = await renewAuthorities(outcome, context: context)
        let restarts = await context.restarts.run(after: outcome.renewedNames, alsoOwed: caRestarts) { step in
            switch step.result {
            case .restarted: await metrics.recordRestart(component: step.component.rawValue, succeeded: true)
            case .failed where !Task.isCancelled: await metrics.recordRestart(component: step.component.rawValue, succeeded: false)
            case .failed, .skipped, .postponed: break
            }
        }
        let problems = outcome.problems + restarts.problems
        for problem in restarts.problems { logger.error("\(problem)") }
        if let reason = restarts.postponed {
            logger.warning("restarts of \(restarts.owed.map(\.rawValue).joined(separator: ", ")) postponed, still owed: \(reason)")
        }
        let next = max(min(outcome.nextPass, restarts.retryAt ?? .distantFuture), clock.date + 1)
        let succeeded = problems.isEmpty
        let observed = observe(outcome)
        await metrics.recordPass(outcome, observed: observed, succeeded: succeeded, pendingRestarts: restarts.owed, postponed: restarts.postponed,
                                 at: clock.date)
        logger.info("pass finished", metadata: summary(outcome, succeeded: succeeded, problems: problems.count, observed: observed, next: next))
        await publishStatus(outcome, restarts: restarts, context: context)
        return PassSummary(nextPass: next, finishedAt: clock.date, succeeded: succeeded, renewed: outcome.renewedNames.count,
                           problems: problems.count, nextRenewal: PassSummary.firstRenewal(in: outcome))
    }

    /// What the metrics export: the pass's scan, its kubeconfigs' CAs and the watched certificates, read now.
    private func observe(_ outcome: RenewalPass.Outcome) -> [ObservedCertificate] {
        let watched = context.settings.watch.watchList.observe(excluding: outcome.scanned.map(\.certificateFile))
        for failure in watched.compactMap(\.error) {
            logger.warning("watched certificate unreadable: \(failure)")
        }
        return CertificateObservations.of(outcome.scanned) + watched
    }

    /// The pass in one line: what was renewed and failed, and when the next renewal and pass are due.
    private func summary(_ outcome: RenewalPass.Outcome, succeeded: Bool, problems: Int, observed: [ObservedCertificate],
                         next: Date) -> Logger.Metadata {
        let renewed = Set(outcome.renewedNames)
        let nextRenewal = outcome.items.filter { !renewed.contains($0.name) }
            .map { max($0.schedule.renewAt, $0.retryAt ?? .distantPast) }.min()
        return [
            "succeeded": "\(succeeded)",
            "renewed": "\(renewed.count)",
            "failed": "\(outcome.renewal?.outcomes.filter { $0.kind == .failed }.count ?? 0)",
            "problems": "\(problems)",
            "certificates": "\(observed.count)",
            "unreadable": "\(observed.filter { $0.error != nil }.count)",
            "next_renewal_at": "\(nextRenewal.map(Self.timestamp) ?? "none")",
            "next_pass_at": "\(Self.timestamp(next))",
        ]
    }

    private func log(_ outcome: RenewalPass.Outcome, now: Date) {
        for item in outcome.items {
            var metadata: Logger.Metadata = ["name": "\(item.name)", "not_after": "\(Self.timestamp(item.notAfter))",
                                             "renew_at": "\(Self.timestamp(item.schedule.renewAt))"]
            if let retry = item.retryAt { metadata["retry_at"] = "\(Self.timestamp(retry))" }
            // Every pass repeats the schedule; only a renewal due now is news.
            if item.renewNow {
                logger.info("due now", metadata: metadata)
            } else {
                logger.debug("scheduled", metadata: metadata)
            }
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
            logger.error("CA \(authority.name) expires at \(Self.timestamp(authority.notAfter)), inside the warning window; renew it in place (pkictl ca renew, or pkid --renew-cas true) or plan a CA rotation now",
                         metadata: ["name": "\(authority.name)"])
        }
        for problem in outcome.problems {
            logger.error("\(problem)")
        }
    }

    /// With --renew-cas, the CAs inside their warning window are renewed in place (as `pkictl ca renew`); returns
    /// the components that must restart to read them. A failure is logged; the CA warning stays.
    private func renewAuthorities(_ outcome: RenewalPass.Outcome, context: DaemonContext) async -> [ComponentName] {
        let config = context.config
        let expiring = outcome.expiringAuthorities.compactMap { AuthorityName(rawValue: $0.name) }
        // A CA being rotated is replaced by the rotation, never renewed in place meanwhile.
        let rotating = expiring.filter { CARotationFiles(authority: $0, directory: config.pkiDirectory).isUnderWay }
        let due = expiring.filter { !rotating.contains($0) }
        if context.settings.renewCas {
            for authority in rotating { logger.info("CA \(authority) is being rotated (pkictl ca rotate); not renewed in place") }
        }
        guard context.settings.renewCas, !due.isEmpty else { return [] }
        // A renewed CA must leave the warning window, or every pass would renew it again.
        guard config.caCertificateValidity > context.settings.caWarningWindow.seconds else {
            logger.error("--renew-cas: caCertificateValidityPeriod (\(GoDuration.format(config.caCertificateValidity))) is not longer than --ca-warning-window (\(context.settings.caWarningWindow)); a renewed CA would stay inside the window, so none is renewed: shorten the window or lengthen the validity")
            return []
        }
        let renewal = CARenewal(config: config, clock: context.clock, log: ProgressLog.logger(logger),
                                recorder: InventoryRecorder(inventory: context.inventory, actor: "pkid", scan: context.settings.paths.scan(config)))
        do {
            let items = try renewal.plan(due)
            let report = try await renewal.run(due, backupDirectory: CertificateRenewal.defaultBackupDirectory(certificatesDir: config.certificatesDir, now: context.clock.date))
            for renewed in report.outcomes {
                logger.info("CA renewed in place", metadata: ["name": "\(renewed.authority)", "old_serial": "\(renewed.oldSerial)",
                                                             "new_serial": "\(renewed.newSerial)", "new_not_after": "\(Self.timestamp(renewed.newNotAfter))"])
            }
            return items.flatMap(\.components)
        } catch {
            logger.error("cannot renew CA \(due.map(\.rawValue).joined(separator: ", ")) in place: \((error as? PKIError)?.message ?? "\(error)")")
            return []
        }
    }

    /// The node's report in its status ConfigMap, for `pkictl cluster status`; a failure is logged and retried
    /// at the next pass, never a failed pass.
    private func publishStatus(_ outcome: RenewalPass.Outcome, restarts: StaticPodRestarts.Outcome, context: DaemonContext) async {
        guard let client = context.coordination?.api else { return }
        let history = (try? context.inventory.history(certificateDirectory: context.config.certificatesDir)) ?? []
        let status = NodeStatus(node: context.config.nodeName, version: ReleaseVersion.current, reportedAt: context.clock.date,
                                checkIntervalSeconds: Int(context.settings.checkInterval.seconds),
                                owedRestarts: restarts.owed.map(\.rawValue), postponed: restarts.postponed,
                                certificates: NodeStatus.certificates(of: outcome.scanned, history: history),
                                caRotations: CARotationReport.reports(config: context.config, manifestsDir: context.settings.restarts.manifestsDir,
                                                                      kubeletClientPath: context.settings.paths.kubeletClientCert))
        do {
            try await StatusPublisher(client: client).publish(status)
        } catch {
            logger.warning("cannot publish this node's status to \(NodeStatus.namespace)/\(NodeStatus.configMapName(node: status.node)): \((error as? PKIError)?.message ?? "\(error)")")
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
