import Foundation
@testable import PKILifecycle
@testable import PKINetwork
import Testing

/// The Lease lock's decisions on the test clock: acquire, renew, wait, expire, take over, release.
@Suite struct LeaseElectionTests {
    private let start = Date(timeIntervalSince1970: 1_900_000_000)

    private func lease(holder: String, renewed: Date, version: String, duration: Int = 60, transitions: Int = 0) -> Lease {
        Lease(metadata: ObjectMeta(name: "pkid-restart", namespace: "kube-system", resourceVersion: version),
              spec: Lease.Spec(holderIdentity: holder, leaseDurationSeconds: duration, acquireTime: MicroTime(renewed),
                               renewTime: MicroTime(renewed), leaseTransitions: transitions))
    }

    @Test func noLeaseIsCreatedHeldByUs() {
        var election = LeaseElection(identity: "node1/boot-a", leaseDuration: 60)
        guard case .create(let created) = election.decide(nil, name: "pkid-restart", namespace: "kube-system", now: start) else {
            Issue.record("expected a create"); return
        }
        #expect(created.spec.holderIdentity == "node1/boot-a")
        #expect(created.spec.leaseDurationSeconds == 60)
        #expect(created.spec.leaseTransitions == 0)
        #expect(created.metadata.namespace == "kube-system")
    }

    /// Expiry is our observation plus the duration, whatever the holder's clock wrote: a renewTime an hour in the
    /// past (a skewed clock) does not make a live holder's lock ours.
    @Test func anotherHoldersLockExpiresByOurObservationNotTheirClock() {
        var election = LeaseElection(identity: "node1/boot-a", leaseDuration: 60)
        let skewed = lease(holder: "node2/boot-b", renewed: start - 3600, version: "7")
        #expect(election.decide(skewed, name: "pkid-restart", namespace: "kube-system", now: start) == .wait(holder: "node2/boot-b", until: start + 60))
        #expect(election.decide(skewed, name: "pkid-restart", namespace: "kube-system", now: start + 59) == .wait(holder: "node2/boot-b", until: start + 60))

        // The holder renews: a new record, a new observation.
        let renewed = lease(holder: "node2/boot-b", renewed: start - 3560, version: "8")
        #expect(election.decide(renewed, name: "pkid-restart", namespace: "kube-system", now: start + 40) == .wait(holder: "node2/boot-b", until: start + 100))

        // It stops renewing: after a full duration of seeing the same record, the lock is taken over.
        guard case .update(let taken) = election.decide(renewed, name: "pkid-restart", namespace: "kube-system", now: start + 100) else {
            Issue.record("expected a take-over"); return
        }
        #expect(taken.spec.holderIdentity == "node1/boot-a")
        #expect(taken.spec.acquireTime == MicroTime(start + 100))
        #expect(taken.spec.leaseTransitions == 1)
        #expect(taken.metadata.resourceVersion == "8", "the update carries the version read, so a racing writer gets a Conflict")
    }

    @Test func ourOwnLockIsRenewedKeepingItsAcquireTime() {
        var election = LeaseElection(identity: "node1/boot-a", leaseDuration: 60)
        let ours = lease(holder: "node1/boot-a", renewed: start, version: "3", transitions: 2)
        guard case .update(let renewal) = election.decide(ours, name: "pkid-restart", namespace: "kube-system", now: start + 20) else {
            Issue.record("expected a renewal"); return
        }
        #expect(renewal.spec.acquireTime == MicroTime(start))
        #expect(renewal.spec.renewTime == MicroTime(start + 20))
        #expect(renewal.spec.leaseTransitions == 2)
    }

    /// A rebooted node has a new boot id: the lock its previous boot held is a stranger's until it expires.
    @Test func aRebootedHolderDoesNotThinkItStillHoldsTheLock() {
        var election = LeaseElection(identity: "node1/boot-new", leaseDuration: 60)
        let before = lease(holder: "node1/boot-old", renewed: start, version: "4")
        #expect(election.decide(before, name: "pkid-restart", namespace: "kube-system", now: start) == .wait(holder: "node1/boot-old", until: start + 60))
    }

    @Test func aReleasedLockIsTakenAtOnceAndReleaseClearsTheHolder() {
        var election = LeaseElection(identity: "node1/boot-a", leaseDuration: 60)
        let released = lease(holder: "", renewed: start, version: "9", duration: 1, transitions: 3)
        guard case .update(let taken) = election.decide(released, name: "pkid-restart", namespace: "kube-system", now: start + 1) else {
            Issue.record("expected a take-over of a released lock"); return
        }
        #expect(taken.spec.holderIdentity == "node1/boot-a")
        #expect(taken.spec.leaseDurationSeconds == 60)
        #expect(taken.spec.leaseTransitions == 4)
        let giveBack = election.release(taken, now: start + 30)
        #expect(giveBack?.spec.holderIdentity == "")
        #expect(giveBack?.spec.leaseDurationSeconds == 1)
        #expect(election.release(lease(holder: "node2/boot-b", renewed: start, version: "10"), now: start) == nil, "never release someone else's lock")
    }
}
