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
                await cancelWhenGracefulShutdown { await loop() }
            }
            // The loop ends only at shutdown; then stop listening for SIGHUP too.
            _ = try await group.next()
            group.cancelAll()
        }
        logger.info("pkid stopped")
    }

    private func loop() async {
        var context = initial
        while !Task.isCancelled {
            let next = await DaemonPass(context: context, metrics: metrics, logger: logger).run()
            guard !Task.isCancelled else { break }
            logger.debug("next pass", metadata: ["at": "\(DaemonPass.timestamp(next))"])
            IdleMemory.release()
            let hangup = await trigger.wait(until: next, clock: context.clock)
            if hangup {
                do {
                    context = try DaemonContext.make(try reload(), clock: context.clock, logger: logger)
                } catch {
                    logger.error("configuration not reloaded, keeping the previous one: \(error)")
                }
            }
        }
    }
}
