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
        /// Not touched, and still owed without a backoff: a gate said wait (another etcd member is down, no other
        /// API server is ready) or the cluster-wide restart lock was lost. Later components wait with it.
        case postponed(String)
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
    /// Asked just before each restart; a single node has none to ask.
    public let gate: any RestartGate

    public init(restarter: any StaticPodRestarter, probe: any ComponentHealthProbe, healthTimeout: TimeInterval, pollInterval: TimeInterval = 1,
                clock: any WallClock = SystemWallClock(), gate: any RestartGate = OpenGate()) {
        self.restarter = restarter
        self.probe = probe
        self.gate = gate
        self.healthTimeout = healthTimeout
        self.pollInterval = pollInterval
        self.clock = clock
    }

    /// Cancellation (shutdown) stops the rollout after the current component's file operation. `mayContinue` is
    /// asked before each restart (false: the cluster-wide lock was lost, and the rest is postponed).
    public func run(_ components: [StaticPodComponent], mayContinue: () async -> Bool = { true },
                    onStep: (Step) async -> Void = { _ in }) async -> [Step] {
        var steps: [Step] = []
        for component in components {
            let result: Result
            if let earlier = steps.last?.result, earlier.stopsLaterOnes {
                if case .postponed = earlier { result = .postponed("waits for \(steps[steps.count - 1].component)") } else { result = .skipped }
            } else if Task.isCancelled {
                result = .skipped
            } else if !(await mayContinue()) {
                result = .postponed("the cluster-wide restart lock was lost")
            } else if let reason = await gate.reasonToWait(before: component) {
                result = .postponed(reason)
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

extension StaticPodRollout.Result {
    /// Anything but a successful restart keeps the components after it from restarting in this run.
    var stopsLaterOnes: Bool {
        if case .restarted = self { false } else { true }
    }

    public var postponedReason: String? {
        if case .postponed(let reason) = self { reason } else { nil }
    }
}
