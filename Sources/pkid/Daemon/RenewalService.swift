import Foundation
import Logging
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore
import ServiceLifecycle
import UnixSignals

/// The daemon's work as a Service: passes on schedule (or at SIGHUP), then the restarts they make necessary,
/// one component at a time. Graceful shutdown cancels the loop; the current file operation completes first.
/// Each step is told to systemd (`Type=notify`): STATUS= after a pass, RELOADING=1 and READY=1 around a
/// SIGHUP reload, STOPPING=1 at shutdown, and WATCHDOG=1 when the unit sets `WatchdogSec=`.
struct RenewalService: Service {
    let reload: @Sendable () throws -> DaemonOptions
    let initial: DaemonContext
    let metrics: DaemonMetrics
    let logger: Logger
    let trigger = PassTrigger()

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    logger.info("SIGHUP: re-reading the configuration and running a pass now")
                    await trigger.fire()
                }
            }
            group.addTask {
                await withGracefulShutdownHandler {
                    await cancelWhenGracefulShutdown { await loop() }
                } onGracefulShutdown: {
                    SystemdNotifier.stopping()
                }
            }
            if let watchdog = SystemdWatchdog() {
                group.addTask { await watchdog.run() }
            }
            // The loop ends only at shutdown; then stop listening for SIGHUP too.
            _ = try await group.next()
            group.cancelAll()
        }
        logger.info("pkid stopped")
    }

    /// How long after the first pass pkid hands start-up's memory back a second time.
    static let startupSettle: TimeInterval = 5

    /// Sleeps until `next`, SIGHUP (true) or shutdown. Start-up (the HTTP server, the first scrapes) goes on past
    /// the first pass, so the first time its pages are handed back once more when it has settled.
    private func idle(until next: Date, clock: any WallClock, firstTime: Bool) async -> Bool {
        if firstTime {
            if await trigger.wait(until: min(next, clock.date + Self.startupSettle), clock: clock) { return true }
            IdleMemory.release()
            guard !Task.isCancelled else { return false }
        }
        return await trigger.wait(until: next, clock: clock)
    }

    private func loop() async {
        var context = initial
        var settling = true
        while !Task.isCancelled {
            SystemdNotifier.status("renewal pass running")
            let summary = await DaemonPass(context: context, metrics: metrics, logger: logger).run()
            guard !Task.isCancelled else { break }
            SystemdNotifier.status(summary.statusLine)
            logger.debug("next pass", metadata: ["at": "\(DaemonPass.timestamp(summary.nextPass))"])
            IdleMemory.release()
            let hangup = await idle(until: summary.nextPass, clock: context.clock, firstTime: settling)
            settling = false
            if hangup {
                SystemdNotifier.reloading()
                do {
                    context = try DaemonContext.make(try reload(), clock: context.clock, logger: logger)
                    SystemdNotifier.ready(status: "configuration reloaded; renewal pass running")
                } catch {
                    logger.error("configuration not reloaded, keeping the previous one: \(error)")
                    SystemdNotifier.ready(status: "configuration not reloaded (see the journal); renewal pass running")
                }
            }
        }
    }
}
