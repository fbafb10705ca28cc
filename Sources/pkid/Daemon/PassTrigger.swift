import Foundation
import PKICrypto
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

/// The daemon's only wait: until the next pass is due, until SIGHUP asks for one now, or until shutdown.
/// Nothing polls in between, so an idle pkid uses no CPU.
actor PassTrigger {
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var timer: Task<Void, Never>?

    /// Returns at `deadline`, on `fire()`, or when the calling task is cancelled. True when fired.
    @discardableResult
    func wait(until deadline: Date) async -> Bool {
        if pending {
            pending = false
            return true
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled {
                    continuation.resume()
                    return
                }
                waiter = continuation
                let nanoseconds = UInt64(max(0, min(deadline.timeIntervalSinceNow, 365 * 86400)) * 1e9)
                timer = Task { [weak self] in
                    guard (try? await Task.sleep(nanoseconds: nanoseconds)) != nil else { return }
                    await self?.wake(fired: false)
                }
            }
        } onCancel: {
            Task { await self.wake(fired: false) }
        }
        defer { pending = false }
        return pending
    }

    /// Ask for a pass now; remembered when nobody is waiting.
    func fire() {
        if waiter == nil {
            pending = true
        } else {
            wake(fired: true)
        }
    }

    private func wake(fired: Bool) {
        timer?.cancel()
        timer = nil
        if fired { pending = true }
        waiter?.resume()
        waiter = nil
    }
}
