import Foundation
import PKIStore

/// The cluster-wide lock the pkids of a cluster take before restarting anything, so that no two control-plane
/// nodes restart together. Implemented by a Kubernetes Lease and by an etcd key on a lease.
public protocol RestartLock: Sendable {
    /// Where the lock lives, for logs and status ("Lease kube-system/pkid-restart").
    var description: String { get }
    /// One attempt to take or keep the lock.
    func attempt() async throws -> LockAttempt
    /// Gives the lock back; a failure is only logged, since the lock expires by itself.
    func release() async throws
}

public enum LockAttempt: Sendable, Equatable {
    /// This node holds it now (taken, or renewed).
    case held
    /// Someone else does; worth trying again at `retryAt`, when the holder's lease would have run out.
    case heldBy(String, retryAt: Date?)
}

/// This process's identity in a lock: `<node>/<boot id>`, so that a rebooted node is a new holder and never
/// believes it still holds a lock from before the reboot.
public enum LockIdentity {
    public static func of(node: String, bootIDFile: String = "/proc/sys/kernel/random/boot_id") -> String {
        let bootID = (try? String(contentsOfFile: bootIDFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return "\(node)/\(bootID.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown-boot")"
    }
}
