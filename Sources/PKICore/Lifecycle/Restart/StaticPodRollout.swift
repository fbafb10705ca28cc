import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// Asks one component whether it is healthy; nil when it is, else why not.
public protocol ComponentHealthProbe: Sendable {
    func problem(with component: StaticPodComponent) async -> String?
}

/// Restarts components one at a time in catalogue order, waiting for each to be healthy before the next,
/// and stops at the first one that does not come back: a rollout must not break more than one component.
public struct StaticPodRollout: Sendable {
    public enum Result: Sendable, Equatable {
        /// Restarted and healthy again after `healthSeconds`.
        case restarted(healthSeconds: Double)
        case failed(String)
        /// Not touched because an earlier component failed.
        case skipped
    }

    public struct Step: Sendable, Equatable {
        public let component: ComponentName
        public let result: Result
    }

    public let restarter: any StaticPodRestarter
    public let probe: any ComponentHealthProbe
    public let healthTimeout: TimeInterval
    public let pollInterval: TimeInterval
    public let clock: any WallClock

    public init(restarter: any StaticPodRestarter, probe: any ComponentHealthProbe, healthTimeout: TimeInterval, pollInterval: TimeInterval = 1,
                clock: any WallClock = SystemWallClock()) {
        self.restarter = restarter
        self.probe = probe
        self.healthTimeout = healthTimeout
        self.pollInterval = pollInterval
        self.clock = clock
    }

    /// Cancellation (shutdown) stops the rollout after the current component's file operation.
    public func run(_ components: [StaticPodComponent], onStep: (Step) async -> Void = { _ in }) async -> [Step] {
        var steps: [Step] = []
        for component in components {
            let result: Result
            if steps.contains(where: { if case .restarted = $0.result { false } else { true } }) || Task.isCancelled {
                result = .skipped
            } else {
                result = await restartAndWait(component)
            }
            let step = Step(component: component.name, result: result)
            steps.append(step)
            await onStep(step)
        }
        return steps
    }

    private func restartAndWait(_ component: StaticPodComponent) async -> Result {
        do {
            try await restarter.restart(component)
        } catch is CancellationError {
            return .failed("shutdown during the restart of \(component.name)")
        } catch {
            return .failed("restart of \(component.name) failed: \(error)")
        }
        let started = clock.date
        var lastProblem = "no answer yet"
        while clock.date.timeIntervalSince(started) < healthTimeout {
            guard let problem = await probe.problem(with: component) else {
                return .restarted(healthSeconds: clock.date.timeIntervalSince(started))
            }
            lastProblem = problem
            do {
                try await clock.sleep(seconds: pollInterval)
            } catch {
                return .failed("shutdown while waiting for \(component.name) to become healthy")
            }
        }
        return .failed("\(component.name) not healthy within \(GoDuration.format(healthTimeout)): \(lastProblem)")
    }
}
