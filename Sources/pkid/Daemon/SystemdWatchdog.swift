import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `WatchdogSec=` in the unit: systemd passes WATCHDOG_USEC (and WATCHDOG_PID) and restarts pkid when no
/// WATCHDOG=1 arrives within it. The keep-alive runs on the same executor as the passes, so a wedged daemon
/// stops sending it.
struct SystemdWatchdog: Sendable {
    /// How often to send WATCHDOG=1: half the timeout, as sd_watchdog_enabled(3) advises.
    let interval: Duration

    /// The watchdog systemd asked for, or nil when it asked for none (or asked another process).
    init?(environment: [String: String] = ProcessInfo.processInfo.environment, pid: pid_t = getpid()) {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], owner != String(pid) { return nil }
        interval = .microseconds(usec / 2)
    }

    /// Sends WATCHDOG=1 now and every `interval` until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            SystemdNotifier.notify("WATCHDOG=1")
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
