import Foundation

/// A point in wall-clock time: certificates are valid between dates, so every clock pkictl and pkid use counts in
/// dates, and can be slept until.
public struct WallInstant: InstantProtocol, Sendable, Hashable {
    public var date: Date

    public init(_ date: Date) {
        self.date = date
    }

    public func advanced(by duration: Duration) -> WallInstant {
        WallInstant(date + duration.timeInterval)
    }

    public func duration(to other: WallInstant) -> Duration {
        .seconds(other.date.timeIntervalSince(date))
    }

    public static func < (a: WallInstant, b: WallInstant) -> Bool { a.date < b.date }
}

/// The clock lifecycle operations and the daemon take: its `now` is a date, and it sleeps until dates.
/// Production code uses `SystemWallClock`; tests move a `ManualWallClock` instead of waiting.
public protocol WallClock: Clock, Sendable where Instant == WallInstant {}

extension WallClock {
    /// The current date.
    public var date: Date { now.date }

    /// Sleeps until `date`; returns at once when it has passed.
    public func sleep(until date: Date) async throws {
        try await sleep(until: WallInstant(date), tolerance: nil)
    }

    public func sleep(seconds: TimeInterval) async throws {
        try await sleep(until: now.advanced(by: .seconds(max(0, seconds))), tolerance: nil)
    }
}

/// The machine's clock. Sleeping follows the monotonic clock in slices and re-reads the wall clock after each,
/// so a wall-clock step (NTP, a VM resumed) moves the wake-up instead of leaving the daemon asleep for a year.
public struct SystemWallClock: WallClock {
    public init() {}

    public var now: WallInstant { WallInstant(Date()) }

    public var minimumResolution: Duration { .milliseconds(1) }

    /// Longest single slice of sleep before the wall clock is read again.
    static let slice: Duration = .seconds(300)

    public func sleep(until deadline: WallInstant, tolerance: Duration?) async throws {
        while true {
            let remaining = now.duration(to: deadline)
            guard remaining > .zero else { return }
            try await ContinuousClock().sleep(for: min(remaining, Self.slice), tolerance: tolerance)
        }
    }
}

/// A clock that moves only when told: sleepers wake when `advance` passes their deadline, in deadline order.
/// For tests of schedules, waits, lock timeouts and the daemon's loop, which then never sleep for real.
public final class ManualWallClock: WallClock, @unchecked Sendable {
    private struct Sleeper {
        let id: Int
        let deadline: WallInstant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    private var current: WallInstant
    private var sleepers: [Sleeper] = []
    private var nextID = 0
    private var sleeperWatchers: [(id: Int, count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = WallInstant(start)
    }

    public var now: WallInstant { lock.withLock { current } }

    public var minimumResolution: Duration { .zero }

    /// How many tasks are asleep on this clock: tests wait for a sleeper before advancing.
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    public func sleep(until deadline: WallInstant, tolerance: Duration?) async throws {
        let id: Int = lock.withLock { nextID += 1; return nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (ready, watchers): (Bool, [CheckedContinuation<Void, Never>]) = lock.withLock {
                    if Task.isCancelled || deadline <= current { return (true, []) }
                    sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    let satisfied = sleeperWatchers.filter { $0.count <= sleepers.count }.map(\.continuation)
                    sleeperWatchers.removeAll { $0.count <= sleepers.count }
                    return (false, satisfied)
                }
                if ready {
                    continuation.resume(with: Task.isCancelled ? .failure(CancellationError()) : .success(()))
                }
                for watcher in watchers { watcher.resume() }
            }
        } onCancel: {
            let cancelled: Sleeper? = lock.withLock {
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline it reaches.
    public func advance(by duration: Duration) {
        let woken: [Sleeper] = lock.withLock {
            current = current.advanced(by: duration)
            let due = sleepers.filter { $0.deadline <= current }.sorted { $0.deadline < $1.deadline }
            sleepers.removeAll { $0.deadline <= current }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    public func advance(seconds: TimeInterval) {
        advance(by: .seconds(seconds))
    }

    /// Returns once `count` tasks are asleep on this clock (or the calling task is cancelled), so a test advances
    /// time only when the code under test is waiting for it.
    public func waitForSleepers(_ count: Int = 1) async {
        let id: Int = lock.withLock { nextID += 1; return nextID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let satisfied: Bool = lock.withLock {
                    if sleepers.count >= count || Task.isCancelled { return true }
                    sleeperWatchers.append((id, count, continuation))
                    return false
                }
                if satisfied { continuation.resume() }
            }
        } onCancel: {
            let watcher: CheckedContinuation<Void, Never>? = lock.withLock {
                guard let index = sleeperWatchers.firstIndex(where: { $0.id == id }) else { return nil }
                return sleeperWatchers.remove(at: index).continuation
            }
            watcher?.resume()
        }
    }
}

extension Duration {
    /// Seconds as a TimeInterval.
    public var timeInterval: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
