import Foundation
import PKICrypto
import PKIStore

/// How a node's restarts are coordinated with the other control-plane nodes: the lock is taken before the first
/// restart of a pass, kept (renewed every third of its duration) while components restart and until they have
/// been healthy for `releaseDelay`, then given back. It is never held while merely renewing files.
public struct RestartCoordination: Sendable {
    public let lock: any RestartLock
    /// How long one pass tries to get the lock before leaving its restarts owed.
    public let acquireTimeout: TimeInterval
    public let renewInterval: TimeInterval
    public let releaseDelay: TimeInterval
    public let clock: any WallClock
    public let log: ProgressLog

    public init(lock: any RestartLock, acquireTimeout: TimeInterval, renewInterval: TimeInterval, releaseDelay: TimeInterval,
                clock: any WallClock, log: ProgressLog) {
        self.lock = lock
        self.acquireTimeout = acquireTimeout
        self.renewInterval = renewInterval
        self.releaseDelay = releaseDelay
        self.clock = clock
        self.log = log
    }

    /// Runs `body` holding the lock; nil without running it when the lock could not be had in time (the reason is
    /// logged). `body` learns whether the lock is still held before each step, so a lost lock stops the rollout.
    /// `restartedAny` tells from the result whether anything restarted: only then is the lock kept for
    /// `releaseDelay`, so a rollout that a gate postponed frees the lock at once.
    public func holding<Result: Sendable>(_ body: (_ stillHeld: @escaping @Sendable () async -> Bool) async -> Result,
                                          restartedAny: (Result) -> Bool = { _ in true }) async -> Result? {
        guard await acquire() else { return nil }
        let keeper = LockKeeper()
        let renewal = Task { [lock, renewInterval, clock, log] in
            while !Task.isCancelled {
                do {
                    try await clock.sleep(seconds: renewInterval)
                } catch {
                    return
                }
                do {
                    if case .heldBy(let holder, _) = try await lock.attempt() {
                        log.warning("lost the restart lock (\(lock.description)) to \(holder); no further restart in this pass")
                        await keeper.lose()
                        return
                    }
                } catch {
                    log.warning("cannot renew the restart lock (\(lock.description)): \(Self.message(error)); no further restart in this pass")
                    await keeper.lose()
                    return
                }
            }
        }
        let result = await body { await keeper.isHeld }
        // The restarted components stay up for a while before another node may restart its own.
        if restartedAny(result), await keeper.isHeld, !Task.isCancelled {
            try? await clock.sleep(seconds: releaseDelay)
        }
        // No renewal may still be on its way when the lock is given back: its write would race the release.
        renewal.cancel()
        await renewal.value
        do {
            try await lock.release()
            log.info("released the restart lock (\(lock.description))")
        } catch {
            log.warning("cannot release the restart lock (\(lock.description)): \(Self.message(error)); it expires by itself")
        }
        return result
    }

    private func acquire() async -> Bool {
        let deadline = clock.date + acquireTimeout
        var holder = "nobody yet"
        while true {
            var retryAt: Date?
            do {
                switch try await lock.attempt() {
                case .held:
                    log.info("holding the restart lock (\(lock.description))")
                    return true
                case .heldBy(let who, let at):
                    (holder, retryAt) = (who, at)
                }
            } catch is CancellationError {
                return false
            } catch {
                holder = "unknown (\(Self.message(error)))"
            }
            let now = clock.date
            guard now < deadline else { break }
            // Poll at least every 5 s, sooner when the holder's lease runs out sooner, never past the deadline.
            let wait = min(max(1, (retryAt ?? now + 5).timeIntervalSince(now)), 5, deadline.timeIntervalSince(now))
            do { try await clock.sleep(seconds: wait) } catch { return false }
        }
        log.info("the restart lock (\(lock.description)) is held by \(holder); restarts stay owed until it is free")
        return false
    }

    static func message(_ error: any Error) -> String {
        (error as? PKIError)?.message ?? "\(error)"
    }
}

/// Whether the lock is still ours, as the renewal task last found.
actor LockKeeper {
    private(set) var isHeld = true

    func lose() { isHeld = false }
}
