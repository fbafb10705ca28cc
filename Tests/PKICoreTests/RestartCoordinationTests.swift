import Foundation
@testable import PKICatalogue
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

/// The lock around a rollout and the gates before each restart, on the test clock.
final class RestartCoordinationTests: XCTestCase {
    private let clock = ManualWallClock()

    /// A lock whose answers are scripted: `free` after this many attempts, `lostAfter` attempts in all.
    private actor ScriptedLock: RestartLock {
        nonisolated let description = "scripted lock"
        private let freeAfter: Int
        private let lostAfter: Int?
        private(set) var attempts = 0
        private(set) var released = 0

        init(freeAfter: Int = 0, lostAfter: Int? = nil) {
            self.freeAfter = freeAfter
            self.lostAfter = lostAfter
        }

        func attempt() async throws -> LockAttempt {
            attempts += 1
            if let lostAfter, attempts > lostAfter { return .heldBy("node2/boot-b", retryAt: nil) }
            return attempts > freeAfter ? .held : .heldBy("node2/boot-b", retryAt: nil)
        }

        func release() async throws { released += 1 }
    }

    private struct ScriptedGate: RestartGate {
        let waitBefore: ComponentName
        func reasonToWait(before component: StaticPodComponent) async -> String? {
            component.name == waitBefore ? "etcd member cp-3 (https://10.0.0.3:2379) is not healthy: connection refused" : nil
        }
    }

    private func coordination(_ lock: ScriptedLock, acquireTimeout: TimeInterval = 60, releaseDelay: TimeInterval = 120) -> RestartCoordination {
        RestartCoordination(lock: lock, acquireTimeout: acquireTimeout, renewInterval: 20, releaseDelay: releaseDelay, clock: clock, log: .silent)
    }

    func testTheLockIsWaitedForPolledAndReleasedAfterTheDelay() async throws {
        let lock = ScriptedLock(freeAfter: 3)
        let start = clock.date
        let clock = self.clock
        let coordination = coordination(lock)
        let result = try await whileAdvancing(clock, by: 1) {
            await coordination.holding { _ in clock.date }
        }
        let ranAt = try XCTUnwrap(result)
        let attempts = await lock.attempts
        XCTAssertGreaterThanOrEqual(attempts, 4)
        // Three waits of up to 5 s come before the fourth attempt. (The test clock runs on whenever nothing sleeps,
        // so only lower bounds are exact.)
        XCTAssertGreaterThanOrEqual(ranAt.timeIntervalSince(start), 3)
        // Kept for the release delay after the body, then given back once.
        XCTAssertGreaterThanOrEqual(clock.date.timeIntervalSince(ranAt), 120)
        let released = await lock.released
        XCTAssertEqual(released, 1)
    }

    func testALockNeverFreeLeavesTheBodyUnrunAfterTheTimeout() async throws {
        let lock = ScriptedLock(freeAfter: .max)
        let start = clock.date
        let clock = self.clock
        let coordination = coordination(lock, acquireTimeout: 60)
        let result = try await whileAdvancing(clock, by: 1) {
            await coordination.holding { _ in true }
        }
        XCTAssertNil(result)
        XCTAssertGreaterThanOrEqual(clock.date.timeIntervalSince(start), 60)
        let attempts = await lock.attempts
        XCTAssertGreaterThanOrEqual(attempts, 2, "polled until the timeout")
        let released = await lock.released
        XCTAssertEqual(released, 0, "never held, never released")
    }

    /// The lock is lost during the rollout (a renewal finds another holder): the components not yet restarted
    /// are postponed, not restarted without the lock.
    func testALostLockPostponesTheRestOfTheRollout() async throws {
        let lock = ScriptedLock(lostAfter: 1)
        let restarted = Recorder()
        let rollout = StaticPodRollout(restarter: FakeRestarter(log: restarted), probe: SlowProbe(clock: clock), healthTimeout: 300,
                                       pollInterval: 1, clock: clock)
        let clock = self.clock
        let coordination = coordination(lock)
        let steps = try await whileAdvancing(clock, by: 1) {
            await coordination.holding { stillHeld in
                await rollout.run(CertificateCatalogue.components, mayContinue: stillHeld)
            }
        }
        let results = try XCTUnwrap(steps).map(\.result)
        guard case .restarted = results[0] else { return XCTFail("\(results)") }
        XCTAssertEqual(results[1], .postponed("the cluster-wide restart lock was lost"))
        XCTAssertEqual(results[2], .postponed("waits for kube-apiserver"))
        let names = await restarted.names
        XCTAssertEqual(names, ["etcd"])
    }

    /// A gate that says wait before etcd postpones it and everything after it; nothing restarts, and the lock is
    /// given back without the release delay.
    func testAGatePostponesWithoutHoldingTheLockForTheDelay() async throws {
        let lock = ScriptedLock()
        let restarted = Recorder()
        let rollout = StaticPodRollout(restarter: FakeRestarter(log: restarted), probe: FakeProbe(down: []), healthTimeout: 120,
                                       clock: clock, gate: ScriptedGate(waitBefore: .etcd))
        let start = clock.date
        let clock = self.clock
        // A release delay no test clock reaches by drifting: waiting it out would show.
        let coordination = coordination(lock, releaseDelay: 1_000_000)
        let steps = try await whileAdvancing(clock, by: 1) {
            await coordination.holding { stillHeld in
                await rollout.run(CertificateCatalogue.components, mayContinue: stillHeld)
            } restartedAny: { steps in steps.contains { if case .restarted = $0.result { true } else { false } } }
        }
        let results = try XCTUnwrap(steps).map(\.result)
        XCTAssertEqual(results.first?.postponedReason, "etcd member cp-3 (https://10.0.0.3:2379) is not healthy: connection refused")
        XCTAssertEqual(results.dropFirst().map(\.postponedReason), ["waits for etcd", "waits for kube-apiserver", "waits for kube-controller-manager"])
        let names = await restarted.names
        XCTAssertEqual(names, [])
        XCTAssertLessThan(clock.date.timeIntervalSince(start), 1_000_000, "no release delay after a rollout that restarted nothing")
        let released = await lock.released
        XCTAssertEqual(released, 1)
    }

    /// pkid's RBAC: create is unrestricted by name (the API cannot restrict it), get and update only the named
    /// objects, nothing else.
    func testRBACGrantsOnlyTheNamedLeaseAndStatusConfigMaps() throws {
        let (roles, bindings) = PkidRBAC.objects(nodes: ["cp-1", "cp-2"], leaseName: "pkid-restart")
        let kubeSystem = try XCTUnwrap(roles.first { $0.metadata.namespace == "kube-system" })
        XCTAssertEqual(kubeSystem.rules.filter { $0.resourceNames == nil }.flatMap(\.verbs), ["create", "create"])
        XCTAssertEqual(kubeSystem.rules.compactMap(\.resourceNames), [["pkid-restart"], ["pkid-status-cp-1", "pkid-status-cp-2"]])
        XCTAssertFalse(roles.flatMap(\.rules).contains { $0.resources.contains("secrets") || $0.verbs.contains("delete") || $0.verbs.contains("list") })
        XCTAssertEqual(bindings.flatMap(\.subjects).map(\.name), ["system:pkid:cp-1", "system:pkid:cp-2", "system:pkid:cp-1", "system:pkid:cp-2"])
        let yaml = try PkidRBAC.yaml(nodes: ["cp-1"], leaseName: "pkid-restart")
        XCTAssertEqual(yaml.components(separatedBy: "---\n").count - 1, 4)
    }

    func testANodeStatusSurvivesItsConfigMap() throws {
        let status = NodeStatus(node: "cp-1", version: "0.1.0", reportedAt: Date(timeIntervalSince1970: 1_900_000_000), checkIntervalSeconds: 3600,
                                owedRestarts: ["etcd"], postponed: "etcd member cp-3 is not healthy",
                                certificates: [.init(name: "apiserver", notAfter: Date(timeIntervalSince1970: 1_930_000_000),
                                                     lastRenewal: Date(timeIntervalSince1970: 1_899_000_000), problem: nil)])
        let map = try status.configMap
        XCTAssertEqual(map.metadata.name, "pkid-status-cp-1")
        XCTAssertEqual(map.metadata.labels?["app.kubernetes.io/name"], "pkid-status")
        XCTAssertEqual(try NodeStatus(configMap: map), status)
    }
}

/// Healthy 30 s (test clock) after it was made: long enough for the lock's renewal to run during the rollout.
private struct SlowProbe: ComponentHealthProbe {
    let clock: ManualWallClock
    let healthyAt: Date

    init(clock: ManualWallClock) {
        self.clock = clock
        self.healthyAt = clock.date + 30
    }

    func problem(with component: StaticPodComponent) async -> String? { clock.date < healthyAt ? "starting" : nil }
}
