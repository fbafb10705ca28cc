import Foundation
import PKINetwork

/// Who may hold a Kubernetes Lease used as a lock, decided from the record as read and the local time: client-go's
/// leader-election rule. Expiry is judged by when *this process* first saw the record in its current form (holder,
/// renew time, resourceVersion), never by comparing the holder's clock with ours, so clock skew between nodes
/// cannot hand the lock to two of them. A pure value: the lock's HTTP calls act on its decisions.
public struct LeaseElection: Sendable, Equatable {
    /// What to send next.
    public enum Action: Sendable, Equatable {
        /// No Lease yet: create it held by us (an AlreadyExists answer means someone was faster).
        case create(Lease)
        /// Take over (or renew) with an update carrying the resourceVersion read (a Conflict answer means someone
        /// else wrote first).
        case update(Lease)
        /// Held by someone else whose lease has not expired by our observation; try again at `until`.
        case wait(holder: String, until: Date)
    }

    /// `<node>/<boot id>`: a rebooted node is a new holder, so it never believes it still holds the lock.
    public let identity: String
    public let leaseDuration: TimeInterval
    /// The record as last seen, and when this process first saw it so.
    public private(set) var observed: (record: Record, at: Date)?

    /// The parts of a Lease whose change means its holder is alive.
    public struct Record: Sendable, Equatable {
        public let holder: String
        public let renewTime: Date?
        public let resourceVersion: String?
    }

    public init(identity: String, leaseDuration: TimeInterval) {
        self.identity = identity
        self.leaseDuration = leaseDuration
    }

    public static func == (a: LeaseElection, b: LeaseElection) -> Bool {
        a.identity == b.identity && a.leaseDuration == b.leaseDuration && a.observed?.record == b.observed?.record && a.observed?.at == b.observed?.at
    }

    /// Notes `lease` as read at `now` and says what to do: create, take over or renew, or wait.
    public mutating func decide(_ lease: Lease?, name: String, namespace: String, now: Date) -> Action {
        guard let lease else {
            return .create(Lease(metadata: ObjectMeta(name: name, namespace: namespace), spec: held(acquired: now, now: now, transitions: 0)))
        }
        let record = Record(holder: lease.spec.holderIdentity ?? "", renewTime: lease.spec.renewTime?.date, resourceVersion: lease.metadata.resourceVersion)
        if observed?.record != record { observed = (record, now) }
        let seenAt = observed?.at ?? now
        let duration = lease.spec.leaseDurationSeconds.map(TimeInterval.init) ?? leaseDuration
        if !record.holder.isEmpty && record.holder != identity && seenAt + duration > now {
            return .wait(holder: record.holder, until: seenAt + duration)
        }
        var update = lease
        let ours = record.holder == identity
        update.spec = held(acquired: ours ? (lease.spec.acquireTime?.date ?? now) : now, now: now,
                           transitions: (lease.spec.leaseTransitions ?? 0) + (ours ? 0 : 1))
        return .update(update)
    }

    /// Notes a write of ours that the API server accepted, so our own renewals are not mistaken for a stranger's.
    public mutating func accepted(_ lease: Lease, now: Date) {
        observed = (Record(holder: lease.spec.holderIdentity ?? "", renewTime: lease.spec.renewTime?.date,
                           resourceVersion: lease.metadata.resourceVersion), now)
    }

    /// The update that gives the lock back: no holder, and a one-second duration (as client-go releases).
    public func release(_ lease: Lease, now: Date) -> Lease? {
        guard lease.spec.holderIdentity == identity else { return nil }
        var released = lease
        released.spec = Lease.Spec(holderIdentity: "", leaseDurationSeconds: 1, acquireTime: lease.spec.acquireTime,
                                   renewTime: MicroTime(now), leaseTransitions: lease.spec.leaseTransitions)
        return released
    }

    private func held(acquired: Date, now: Date, transitions: Int) -> Lease.Spec {
        Lease.Spec(holderIdentity: identity, leaseDurationSeconds: Int(leaseDuration.rounded(.up)), acquireTime: MicroTime(acquired),
                   renewTime: MicroTime(now), leaseTransitions: transitions)
    }
}
