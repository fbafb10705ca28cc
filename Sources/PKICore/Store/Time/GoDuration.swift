import Foundation
import PKICrypto

/// Go's `time.Duration` text form ("8760h", "87600h0m0s", "1h30m", "1.5h"), used by kubeadm's config; our own
/// options also take days ("7d", "90d", "1d12h").
public enum GoDuration {
    private static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// Seconds in `text`; nil when it is not a Go duration. `days` adds the unit `d` (24h), which kubeadm's and
    /// cfssl's own parsers refuse, so files they also read never get it.
    public static func seconds(_ text: String, days: Bool = false) -> TimeInterval? {
        let units = days ? Self.units + [("d", 86400)] : Self.units
        var rest = Substring(text.trimmingSpaces)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Longest unit first so "ms" is not read as "m".
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return sign * total
    }

    /// Go's canonical form for whole seconds: "8760h0m0s".
    public static func format(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        let hours = whole / 3600, minutes = (whole % 3600) / 60, secs = whole % 60
        if hours > 0 { return "\(hours)h\(minutes)m\(secs)s" }
        if minutes > 0 { return "\(minutes)m\(secs)s" }
        return "\(secs)s"
    }
}
