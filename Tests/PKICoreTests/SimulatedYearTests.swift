import Foundation
import XCTest
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKIStore

/// A year of pkid on a one-year PKI, on the test clock: every pass, then the restarts it makes necessary. Counts
/// how often each static pod restarts.
final class SimulatedYearTests: XCTestCase {
    func testEachComponentRestartsOncePerRenewalWindow() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualWallClock(Date())
        let start = clock.date
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config, clock: clock).run(.all)
        let inventory = try Inventory(path: dir.path + "/inventory.db")
        let recorder = InventoryRecorder(inventory: inventory, actor: "pkid", scan: PKIScan(config: config, kubeletClientPath: nil))
        let pass = RenewalPass(config: config, recorder: recorder, policy: RenewalPolicy(checkInterval: 86400, host: "node1"),
                               backupDirectory: { _ in nil }, clock: clock, log: .silent)
        let restarted = Recorder()
        let rollout = StaticPodRollout(restarter: FakeRestarter(log: restarted), probe: FakeProbe(down: []), healthTimeout: 60, clock: clock)
        let books = StaticPodRestarts(inventory: inventory, actor: "pkid", rollout: rollout, retryInterval: 86400, clock: clock, log: .silent)

        var renewalDays: [CertificateName: [Int]] = [:]
        while clock.date < start + 365 * 86400 {
            let outcome = try await pass.run()
            XCTAssertEqual(outcome.problems, [])
            let day = Int(clock.date.timeIntervalSince(start) / 86400)
            for name in outcome.renewedNames { renewalDays[name, default: []].append(day) }
            let restarts = await books.run(after: outcome.renewedNames)
            XCTAssertEqual(restarts.problems, [])
            clock.advance(seconds: max(1, min(outcome.nextPass, restarts.retryAt ?? .distantFuture).timeIntervalSince(clock.date)))
        }
        let counts = Dictionary(grouping: await restarted.names, by: { $0 }).mapValues(\.count)
        print("restarts over a simulated year:", counts.sorted { $0.key < $1.key }, "renewal days:", renewalDays.sorted { $0.key < $1.key })
        for component in CertificateCatalogue.components {
            XCTAssertEqual(counts[component.name.rawValue], 1, "\(component.name) restarts once in the year")
        }
        // What no static pod loads renews on its own schedule, once.
        for name in [CertificateName.etcdHealthcheckClient, .adminConf, .superAdminConf] {
            XCTAssertEqual(renewalDays[name]?.count, 1, "\(name)")
        }
    }
}
