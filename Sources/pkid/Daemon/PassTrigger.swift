import Foundation
import PKIStore

/// The daemon's only wait: until the next pass is due on the clock, until SIGHUP asks for one now, or until
/// shutdown. Nothing polls in between, so an idle pkid uses no CPU.
actor PassTrigger {
    private var pending = false
    private var waiter: CheckedContinuation<Bool, Never>?

    /// Returns at `deadline`, on `fire()`, or when the calling task is cancelled. True when fired.
    func wait(until deadline: Date, clock: any WallClock) async -> Bool {
        if pending {
            pending = false
            return true
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await clock.sleep(until: deadline)
                return false
            }
            group.addTask { await self.nextFire() }
            let fired = await group.next() ?? false
            group.cancelAll()
            await self.stopWaiting()
            return fired
        }
    }

    /// Ask for a pass now; remembered when nobody is waiting.
    func fire() {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: true)
        } else {
            pending = true
        }
    }

    private func nextFire() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    waiter = continuation
                }
            }
        } onCancel: {
            Task { await self.stopWaiting() }
        }
    }

    private func stopWaiting() {
        waiter?.resume(returning: false)
        waiter = nil
    }
}
