import Foundation
import PKICrypto
import PKINetwork
import PKIStore

/// The restart lock as a `coordination.k8s.io/v1` Lease in kube-system: acquire by create (AlreadyExists: read
/// it), take over only when released or expired by our own observation, always by an update carrying the
/// resourceVersion read (Conflict: someone else won), renew while holding, release by clearing the holder.
public actor LeaseLock: RestartLock {
    public nonisolated let description: String
    private let client: KubernetesClient
    private let name: String
    private let namespace: String
    private let clock: any WallClock
    private var election: LeaseElection

    public init(client: KubernetesClient, name: String, namespace: String, identity: String, leaseDuration: TimeInterval, clock: any WallClock) {
        self.client = client
        self.name = name
        self.namespace = namespace
        self.clock = clock
        self.election = LeaseElection(identity: identity, leaseDuration: leaseDuration)
        self.description = "Lease \(namespace)/\(name) via \(client.server)"
    }

    public func attempt() async throws -> LockAttempt {
        let current = try await client.get(Lease.self, namespace: namespace, name: name)
        let now = clock.date
        switch election.decide(current, name: name, namespace: namespace, now: now) {
        case .wait(let holder, let until):
            return .heldBy(holder, retryAt: until)
        case .create(let lease):
            do {
                election.accepted(try await client.create(lease), now: clock.date)
                return .held
            } catch let error as PKIError where error.code == .alreadyExists {
                return .heldBy("another node (it created the Lease first)", retryAt: nil)
            }
        case .update(let lease):
            do {
                election.accepted(try await client.update(lease), now: clock.date)
                return .held
            } catch let error as PKIError where error.code == .resourceConflict {
                return .heldBy("another node (its write came first)", retryAt: nil)
            }
        }
    }

    /// A conflict (the record changed between read and write) is read again once: if it is still ours, it is
    /// released; if not, there is nothing to give back.
    public func release() async throws {
        for attempt in 1...2 {
            guard let current = try await client.get(Lease.self, namespace: namespace, name: name),
                  let released = election.release(current, now: clock.date) else { return }
            do {
                _ = try await client.update(released)
                return
            } catch let error as PKIError where error.code == .resourceConflict && attempt == 1 {
                continue
            }
        }
    }
}
