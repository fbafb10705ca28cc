import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// When a certificate should be renewed: a pure function of its validity, the policy and a per-host jitter,
/// so the daemon's decisions are unit-tested without clocks or files.
public struct RenewalSchedule: Sendable, Equatable {
    /// How long before notAfter a certificate is renewed.
    public enum RenewBefore: Sendable, Equatable, CustomStringConvertible {
        /// A fraction of the certificate's own lifetime (cert-manager's and step's default: one third).
        case fractionOfLifetime(Double)
        /// A fixed duration, e.g. 720h.
        case duration(TimeInterval)

        public static let `default` = RenewBefore.fractionOfLifetime(1.0 / 3.0)

        public var description: String {
            switch self {
            case .fractionOfLifetime(let fraction): "\(Int((fraction * 100).rounded()))% of the lifetime"
            case .duration(let seconds): GoDuration.format(seconds)
            }
        }
    }

    /// The largest jitter, as a fraction of the lifetime: HA masters renewing the same names spread out.
    public static let maximumJitterFraction = 0.05

    /// The moment the certificate becomes due.
    public let renewAt: Date
    /// renew-before is at least the whole lifetime: the certificate is always due, so the caller must
    /// rate-limit renewals (at most one per check interval) instead of renewing in a loop.
    public let windowCoversLifetime: Bool

    /// `jitterSeed` picks a stable point in [0, 5%) of the lifetime for this host and certificate, so a restart
    /// of the daemon does not move the renewal time and two hosts do not renew at the same instant.
    public init(notBefore: Date, notAfter: Date, renewBefore: RenewBefore, jitterSeed: String) {
        let lifetime = max(0, notAfter.timeIntervalSince(notBefore))
        let window: TimeInterval = switch renewBefore {
        case .fractionOfLifetime(let fraction): lifetime * fraction
        case .duration(let seconds): seconds
        }
        windowCoversLifetime = window >= lifetime
        let jitter = lifetime * Self.maximumJitterFraction * Self.unitInterval(jitterSeed)
        renewAt = windowCoversLifetime ? notBefore : notAfter - window - jitter
    }

    public func isDue(at now: Date) -> Bool { now >= renewAt }

    /// A stable value in [0, 1) from a string (FNV-1a; the value only spreads hosts, it guards nothing).
    static func unitInterval(_ seed: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}
