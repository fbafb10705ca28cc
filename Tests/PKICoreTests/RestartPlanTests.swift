import Foundation
import GRDB
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKIStore
import XCTest

/// The owed-restart books and the order of restarts, with time moved on a test clock.
final class RestartPlanTests: XCTestCase {
    private let clock = ManualWallClock()

    func testOwedRestartsComeInCatalogueOrderAndWaitTogetherAfterAFailure() {
        let now = clock.date
        let owed = [
            PendingRestart(component: "kube-scheduler", since: now, failures: 0, lastAttempt: nil),
            PendingRestart(component: "etcd", since: now, failures: 0, lastAttempt: nil),
        ]
        XCTAssertEqual(RestartPlan.make(owed: owed, now: now, retryInterval: 3600), RestartPlan(due: [.etcd, .kubeScheduler], waitUntil: nil))

        let failed = owed + [PendingRestart(component: "kube-apiserver", since: now, failures: 1, lastAttempt: now)]
        XCTAssertEqual(RestartPlan.make(owed: failed, now: now + 100, retryInterval: 3600), RestartPlan(due: [], waitUntil: now + 3600),
                       "nothing overtakes a failed component, not even etcd")
        XCTAssertEqual(RestartPlan.make(owed: failed, now: now + 3600, retryInterval: 3600),
                       RestartPlan(due: [.etcd, .kubeAPIServer, .kubeScheduler], waitUntil: nil))
        XCTAssertEqual(RestartPlan.make(owed: [], now: now, retryInterval: 3600), RestartPlan(due: [], waitUntil: nil))
    }

    private func restarts(_ dir: TemporaryDirectory, probe: any ComponentHealthProbe, restarted: Recorder) throws -> StaticPodRestarts {
        let rollout = StaticPodRollout(restarter: FakeRestarter(log: restarted), probe: probe, healthTimeout: 60, pollInterval: 1, clock: clock)
        return StaticPodRestarts(inventory: try Inventory(path: dir.path + "/inventory.db"), actor: "pkid", rollout: rollout,
                                 retryInterval: 3600, clock: clock, log: .silent)
    }

    func testRenewalsOweRestartsThatAreMadeOnceAndRecorded() async throws {
        let dir = try TemporaryDirectory()
        let restarted = Recorder()
        let books = try restarts(dir, probe: FakeProbe(down: []), restarted: restarted)
        let outcome = await books.run(after: [.schedulerConf, .apiserver, .frontProxyClient, .adminConf])
        XCTAssertEqual(outcome.steps.map(\.component), [.kubeAPIServer, .kubeScheduler], "each affected component once, in order")
        XCTAssertEqual(outcome.problems, [])
        XCTAssertEqual(outcome.owed, [])
        XCTAssertNil(outcome.retryAt)
        let names = await restarted.names
        XCTAssertEqual(names, ["kube-apiserver", "kube-scheduler"])
        XCTAssertEqual(try books.inventory.pendingRestarts(), [])
        XCTAssertEqual(try books.inventory.history().filter { $0.result == "restarted" }.map(\.name).sorted(), ["kube-apiserver", "kube-scheduler"])
        let nothing = await books.run(after: [])
        XCTAssertEqual(nothing.steps, [], "nothing owed, nothing restarted")
    }

    func testAFailedRestartStaysOwedBacksOffAndIsRetried() async throws {
        let dir = try TemporaryDirectory()
        let restarted = Recorder()
        let probe = SwitchableProbe(down: ["kube-apiserver"])
        let books = try restarts(dir, probe: probe, restarted: restarted)
        let start = clock.date
        let failed = try await whileAdvancing(clock, by: 1) { await books.run(after: [.etcdServer, .apiserver, .schedulerConf]) }
        XCTAssertEqual(failed.steps.map(\.result.isRestarted), [true, false, false])
        XCTAssertEqual(failed.problems.count, 1)
        XCTAssertTrue(failed.problems[0].contains("kube-apiserver not healthy within 1m0s"), failed.problems[0])
        XCTAssertEqual(Set(failed.owed), [.kubeAPIServer, .kubeScheduler])
        XCTAssertEqual(try XCTUnwrap(failed.retryAt).timeIntervalSince(start), 60 + 3600, accuracy: 1)
        XCTAssertEqual(try books.inventory.history().filter { $0.result == "restart-failed" }.map(\.name), ["kube-apiserver"])

        // Inside the backoff nothing is touched; after it, the owed ones go in order and the books are cleared.
        clock.advance(seconds: 600)
        let waiting = await books.run(after: [])
        XCTAssertEqual(waiting.steps, [])
        XCTAssertEqual(waiting.retryAt, failed.retryAt)
        await probe.set(down: [])
        clock.advance(seconds: 3600)
        let retried = await books.run(after: [])
        XCTAssertEqual(retried.steps.map(\.component), [.kubeAPIServer, .kubeScheduler])
        XCTAssertEqual(retried.owed, [])
        let names = await restarted.names
        XCTAssertEqual(names, ["etcd", "kube-apiserver", "kube-apiserver", "kube-scheduler"])
    }

    func testBookkeepingFailuresAreProblemsNotSilence() async throws {
        let dir = try TemporaryDirectory()
        let books = try restarts(dir, probe: FakeProbe(down: []), restarted: Recorder())
        try await DatabaseQueue(path: dir.path + "/inventory.db").write { try $0.execute(sql: "DROP TABLE pending_restart") }
        let outcome = await books.run(after: [.apiserver])
        XCTAssertEqual(outcome.steps, [], "without its books nothing restarts")
        XCTAssertEqual(outcome.problems.count, 1)
        XCTAssertTrue(outcome.problems[0].hasPrefix("restart bookkeeping failed"), outcome.problems[0])
        XCTAssertNotNil(outcome.retryAt)
    }

    func testWithoutAStrategyNothingIsOwedOrRestarted() async throws {
        let dir = try TemporaryDirectory()
        let lines = LineCollector()
        let books = StaticPodRestarts(inventory: try Inventory(path: dir.path + "/inventory.db"), actor: "pkid", rollout: nil,
                                      retryInterval: 3600, clock: clock, log: ProgressLog(info: lines.append, warning: lines.append))
        let outcome = await books.run(after: [.etcdPeer])
        XCTAssertEqual(outcome.steps, [])
        XCTAssertEqual(try books.inventory.pendingRestarts(), [])
        XCTAssertEqual(lines.all, ["restart strategy none: restart etcd yourself to load the new certificates"])
    }
}

/// A probe whose down set changes while a test runs.
actor SwitchableProbe: ComponentHealthProbe {
    private var down: Set<String>

    init(down: Set<String>) {
        self.down = down
    }

    func set(down: Set<String>) {
        self.down = down
    }

    func problem(with component: StaticPodComponent) async -> String? {
        down.contains(component.name.rawValue) ? "connection refused" : nil
    }
}

extension StaticPodRollout.Result {
    var isRestarted: Bool {
        if case .restarted = self { return true }
        return false
    }
}
