import Foundation
import PKICrypto
import PKINetwork
import PKIStore

/// The restart lock as an etcd key under `/pkid/`, attached to an etcd lease: written only when absent (a
/// transaction comparing its create revision with 0), kept by refreshing the lease, released by revoking it. A
/// holder that dies stops refreshing; etcd deletes the key when the lease runs out, whatever the clocks say.
public actor EtcdLock: RestartLock {
    public nonisolated let description: String
    private let gateway: EtcdGateway
    private let key: String
    private let identity: String
    private let ttl: Int
    private var lease: String?

    public init(gateway: EtcdGateway, key: String, identity: String, leaseDuration: TimeInterval) {
        self.gateway = gateway
        self.key = key
        self.identity = identity
        self.ttl = max(5, Int(leaseDuration.rounded(.up)))
        self.description = "etcd key \(key) via \(gateway.endpoint)"
    }

    public func attempt() async throws -> LockAttempt {
        if let lease {
            // Held: refresh the lease; a lease that ran out means the key is gone, so start over.
            if try await gateway.keepAlive(lease: lease) > 0 { return .held }
            self.lease = nil
        }
        let granted = try await gateway.grantLease(ttl: ttl)
        if let holder = try await gateway.putIfAbsent(key: key, value: identity, lease: granted) {
            // Even our own identity here (an attempt whose answer was lost) is waited out: it goes with its lease.
            try? await gateway.revoke(lease: granted)
            return .heldBy(holder, retryAt: nil)
        }
        lease = granted
        return .held
    }

    public func release() async throws {
        guard let lease else { return }
        self.lease = nil
        try await gateway.revoke(lease: lease)
    }
}
