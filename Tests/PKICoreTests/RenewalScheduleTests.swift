import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import Testing

@Suite struct RenewalScheduleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let year: TimeInterval = 365 * 86400

    @Test func oneThirdOfTheLifetimeByDefaultMinusAtMostFivePercentJitter() {
        let schedule = RenewalSchedule(notBefore: start, notAfter: start + year, renewBefore: .default, jitterSeed: "node1/apiserver")
        let latest = start + year * 2 / 3
        #expect(schedule.renewAt <= latest)
        #expect(schedule.renewAt >= latest - year * 0.05)
        #expect(!schedule.windowCoversLifetime)
        #expect(!schedule.isDue(at: schedule.renewAt - 1))
        #expect(schedule.isDue(at: schedule.renewAt))
    }

    @Test func aFixedDurationCountsBackFromNotAfter() {
        let schedule = RenewalSchedule(notBefore: start, notAfter: start + year, renewBefore: .duration(720 * 3600), jitterSeed: "x")
        #expect(schedule.renewAt <= start + year - 720 * 3600)
        #expect(schedule.renewAt >= start + year - 720 * 3600 - year * 0.05)
    }

    @Test func jitterIsStablePerSeedAndSpreadsHosts() {
        let times = (1...20).map { RenewalSchedule(notBefore: start, notAfter: start + year, renewBefore: .default, jitterSeed: "node\($0)/apiserver").renewAt }
        let again = (1...20).map { RenewalSchedule(notBefore: start, notAfter: start + year, renewBefore: .default, jitterSeed: "node\($0)/apiserver").renewAt }
        #expect(times == again, "a restart must not move the renewal time")
        #expect(Set(times).count == 20, "hosts must not renew at the same instant")
        let spread = (times.max() ?? start).timeIntervalSince(times.min() ?? start)
        #expect(spread > year * 0.01 && spread < year * 0.05)
    }

    @Test func aWindowAsLongAsTheLifetimeIsFlaggedNotLooped() {
        let schedule = RenewalSchedule(notBefore: start, notAfter: start + 7200, renewBefore: .duration(3 * 3600), jitterSeed: "x")
        #expect(schedule.windowCoversLifetime)
        #expect(schedule.isDue(at: start))
    }

    @Test func affectedComponentsComeInRestartOrder() throws {
        #expect(CertificateCatalogue.components(loading: [.schedulerConf, .etcdPeer, .frontProxyClient]).map(\.name)
                == [.etcd, .kubeAPIServer, .kubeScheduler])
        #expect(CertificateCatalogue.components(loading: [.adminConf, .superAdminConf]).isEmpty, "no static pod loads admin.conf")
        let renewable = Set(CertificateCatalogue.renewableNames(for: try Fixtures.config(in: "/nonexistent")))
        let used = Set(CertificateCatalogue.components.flatMap(\.certificates))
        #expect(used.isSubset(of: renewable), "every name a component loads is a catalogue name")
    }
}
