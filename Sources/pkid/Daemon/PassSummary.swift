import Foundation
import PKICatalogue
import PKILifecycle

/// What one pass came to, as the service reports it to systemd (`STATUS=`) and uses to sleep until the next.
struct PassSummary: Sendable {
    /// When the next pass is needed.
    var nextPass: Date
    var finishedAt: Date
    var succeeded: Bool
    var renewed: Int
    var problems: Int
    /// The certificate due first from now on, and when.
    var nextRenewal: (name: String, at: Date)?

    /// The first renewal still ahead in `outcome`: an item renewed in this pass is due again only after a rescan.
    static func firstRenewal(in outcome: RenewalPass.Outcome) -> (name: String, at: Date)? {
        let renewed = Set(outcome.renewedNames)
        return outcome.items.filter { !renewed.contains($0.name) }
            .map { (name: $0.name.rawValue, at: $0.retryAt ?? $0.schedule.renewAt) }
            .min { $0.at < $1.at }
    }

    /// One line for `systemctl status`: how the last pass went and what comes next.
    var statusLine: String {
        let result = succeeded ? "succeeded" : "failed (\(problems) problem\(problems == 1 ? "" : "s"), see the journal)"
        var line = "last pass \(DaemonPass.timestamp(finishedAt)) \(result), \(renewed) renewed"
        if let nextRenewal {
            line += "; next renewal \(nextRenewal.name) at \(DaemonPass.timestamp(nextRenewal.at))"
        } else {
            line += "; no renewal scheduled"
        }
        return line
    }
}
