import Foundation
import PKICrypto
import PKINetwork
import PKIStore

/// The restart lock as an etcd key under `/pkid/`, attached to an etcd lease: written only when absent (a
/// transaction comparing its create revision with 0), kept by refreshing the lease, released by revoking it. A
/// holder that dies stops refreshing; etcd deletes the key when the lease runs out, whatever the clocks say.
public actor EtcdLock: RestartLock {
    public nonisolated let description: String
    private let access: EtcdAccess
    private let key: String
    private let identity: String
    private let ttl: Int
    private var lease: String?

    /// Calls go to the first endpoint that answers: a lease and a key are the cluster's, whichever member serves.
    public init(access: EtcdAccess, key: String, identity: String, leaseDuration: TimeInterval) {
        self.access = access
        self.key = key
        self.identity = identity
        self.ttl = max(5, Int(leaseDuration.rounded(.up)))
        self.description = "etcd key \(key) via \(access.endpoints.joined(separator: ","))"
    }

    public func attempt() async throws -> LockAttempt {
        if let lease {
            // Held: refresh the lease; a lease that ran out means the key is gone, so start over.
            if try await access.firstAnswering { try await $0.keepAlive(lease: lease) } > 0 { return .held }
            self.lease = nil
        }
        let ttl = self.ttl, identity = self.identity, key = self.key
        let granted = try await access.firstAnswering { try await $0.grantLease(ttl: ttl) }
        if let holder = try await access.firstAnswering({ try await $0.putIfAbsent(key: key, value: identity, lease: granted) }) {
            // Even our own identity here (an attempt whose answer was lost) is waited out: it goes with its lease.
            _ = try? await access.firstAnswering { try await $0.revoke(lease: granted) }
            return .heldBy(holder, retryAt: nil)
        }
        lease = granted
        return .held
    }

    public func release() async throws {
        guard let lease else { return }
        self.lease = nil
        try await access.firstAnswering { try await $0.revoke(lease: lease) }
    }
}
