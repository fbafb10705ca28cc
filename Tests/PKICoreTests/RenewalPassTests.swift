import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

/// The daemon's pass against a real PKI and inventory, with time moved instead of waited for.
final class RenewalPassTests: XCTestCase {
    /// The test clock starts at the real time the PKI is made; passes run at the instants the tests move it to.
    private let clock = ManualWallClock(Date())

    private func setUp(_ dir: TemporaryDirectory) async throws -> (ClusterConfig, RenewalPass) {
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config, clock: clock).run(.all)
        let recorder = InventoryRecorder(inventory: try Inventory(path: dir.path + "/inventory.db"), actor: "pkid",
                                         scan: PKIScan(config: config, kubeletClientPath: nil))
        let pass = RenewalPass(config: config, recorder: recorder, policy: RenewalPolicy(host: "node1"), backupDirectory: { _ in nil },
                               clock: clock, log: .silent)
        return (config, pass)
    }

    /// Moves the clock to `date` and runs a pass there.
    private func run(_ pass: RenewalPass, at date: Date) async throws -> RenewalPass.Outcome {
        clock.advance(seconds: date.timeIntervalSince(clock.date))
        return try await pass.run()
    }

    func testNothingIsDueEarlyThenEverythingOnceInsideTheWindow() async throws {
        let dir = try TemporaryDirectory()
        let (config, pass) = try await setUp(dir)
        let early = try await run(pass, at: Date())
        XCTAssertEqual(early.renewedNames, [])
        XCTAssertEqual(early.items.count, 11)
        XCTAssertEqual(early.nextPass.timeIntervalSince(clock.date), 3600, accuracy: 1, "idle: the check interval bounds the sleep")

        // 300 days in, every leaf is past two thirds of its year.
        let late = Date().addingTimeInterval(300 * 86400)
        let renewed = try await run(pass, at: late)
        XCTAssertEqual(Set(renewed.renewedNames), Set(CertificateRenewal.renewableNames(for: config)))
        XCTAssertTrue(renewed.problems.isEmpty, "\(renewed.problems)")
        XCTAssertTrue(renewed.scanned.allSatisfy { ($0.certificate?.notAfter ?? .distantFuture) > late || $0.role == .authority },
                      "the outcome reports the renewed files")
        let again = try await run(pass, at: late + 60)
        XCTAssertEqual(again.renewedNames, [], "renewed certificates are not due again")
        let history = try pass.recorder.inventory.history().filter { $0.result == "renewed" }
        XCTAssertEqual(history.count, 11)
        XCTAssertTrue(history.allSatisfy { $0.actor == "pkid" })
    }

    func testAFailedRenewalBacksOffAndIsRetried() async throws {
        let dir = try TemporaryDirectory()
        let (config, pass) = try await setUp(dir)
        // A damaged pair makes renew refuse the whole run before writing anything.
        let keyPath = config.certificatesDir + "/front-proxy-client.key"
        let goodKey = try XCTUnwrap(FileManager.default.contents(atPath: keyPath))
        try PrivateKey.generate(.ecdsaP256).pem().write(to: URL(fileURLWithPath: keyPath))
        let late = Date().addingTimeInterval(300 * 86400)
        let failed = try await run(pass, at: late)
        XCTAssertEqual(failed.renewedNames, [])
        XCTAssertEqual(failed.problems.count, 1)
        XCTAssertTrue(failed.problems[0].contains("does not match"), failed.problems[0])
        XCTAssertEqual(failed.nextPass, late + 60, "come back after the first retry delay")
        XCTAssertEqual(try pass.recorder.inventory.renewalAttempts()["apiserver"]?.failures, 1)

        let held = try await run(pass, at: late + 30)
        XCTAssertTrue(held.items.allSatisfy { !$0.renewNow }, "inside the backoff nothing is retried")
        try goodKey.write(to: URL(fileURLWithPath: keyPath))
        let retried = try await run(pass, at: late + 61)
        XCTAssertEqual(retried.renewedNames.count, 11)
        XCTAssertEqual(try pass.recorder.inventory.renewalAttempts()["apiserver"]?.failures, 0)
    }

    func testRenewBeforeLongerThanTheLifetimeRenewsOncePerCheckInterval() async throws {
        let dir = try TemporaryDirectory()
        let (config, base) = try await setUp(dir)
        var policy = base.policy
        policy.renewBefore = .duration(2 * 365 * 86400)
        let pass = RenewalPass(config: config, recorder: base.recorder, policy: policy, backupDirectory: { _ in nil }, clock: clock, log: .silent)
        let now = Date()
        let first = try await run(pass, at: now)
        XCTAssertEqual(first.renewedNames.count, 11)
        let soon = try await run(pass, at: now + 600)
        XCTAssertEqual(soon.renewedNames, [], "no loop")
        XCTAssertTrue(soon.items.allSatisfy(\.schedule.windowCoversLifetime))
        XCTAssertEqual(soon.nextPass.timeIntervalSince(now), 3600, accuracy: 1)
        let later = try await run(pass, at: now + 3601)
        XCTAssertEqual(later.renewedNames.count, 11)
    }

    func testExpiringCAsAreReportedAndNeverRenewed() async throws {
        let dir = try TemporaryDirectory()
        let (_, pass) = try await setUp(dir)
        let outcome = try await run(pass, at: Date().addingTimeInterval((3650 - 30) * 86400))
        XCTAssertEqual(Set(outcome.expiringAuthorities.map(\.name)), ["ca", "front-proxy-ca", "etcd-ca"])
        XCTAssertFalse(outcome.renewedNames.contains { $0.rawValue.hasSuffix("ca") })
    }

    func testDaemonStateSurvivesReopening() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/state.db"
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        do {
            let inventory = try Inventory(path: path)
            try inventory.addPendingRestarts(["etcd", "kube-apiserver"], at: now)
            try inventory.addPendingRestarts(["etcd"], at: now + 10)
            try inventory.failRestart("etcd", at: now + 20)
            try inventory.recordHeld(HeldManifest(component: "etcd", manifestPath: "/m/etcd.yaml", heldPath: "/h/etcd.yaml", heldAt: now))
            try inventory.record(RenewalAttempt(name: "apiserver", at: now, failures: 2, error: "boom"))
        }
        let reopened = try Inventory(path: path)
        XCTAssertEqual(try reopened.pendingRestarts().sorted { $0.component < $1.component }, [
            PendingRestart(component: "etcd", since: now, failures: 1, lastAttempt: now + 20),
            PendingRestart(component: "kube-apiserver", since: now, failures: 0, lastAttempt: nil),
        ])
        XCTAssertEqual(try reopened.heldManifests().map(\.heldPath), ["/h/etcd.yaml"])
        XCTAssertEqual(try reopened.renewalAttempts()["apiserver"], RenewalAttempt(name: "apiserver", at: now, failures: 2, error: "boom"))
        try reopened.completeRestart("etcd")
        try reopened.releaseHeld("etcd")
        XCTAssertEqual(try reopened.pendingRestarts().map(\.component), ["kube-apiserver"])
        XCTAssertEqual(try reopened.heldManifests(), [])
    }
}
