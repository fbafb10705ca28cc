import Foundation

/// The two ways reports write a time, both in UTC.
enum ReportTime {
    /// Go's layout "Jan 02, 2006 15:04 MST", as kubeadm's check-expiration table shows dates.
    static func table(_ date: Date) -> String {
        format(date, "MMM dd, yyyy HH:mm 'UTC'")
    }

    /// RFC 3339 to the second, as metav1.Time marshals.
    static func rfc3339(_ date: Date) -> String {
        format(date, "yyyy-MM-dd'T'HH:mm:ss'Z'")
    }

    private static func format(_ date: Date, _ layout: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = layout
        return formatter.string(from: date)
    }
}
