import PKICrypto
import PKIStore
/// kubeadm's rules for which extra SAN entries are acceptable.
public enum SANValidation {
    /// RFC-1123 subdomain as Kubernetes validates it: lowercase labels of [a-z0-9-], alphanumeric at both ends, ≤ 253 characters.
    public static func isDNSSubdomain(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 253 else { return false }
        return value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isLabel)
    }

    /// `*.` followed by an RFC-1123 subdomain.
    public static func isWildcardDNSSubdomain(_ value: String) -> Bool {
        value.hasPrefix("*.") && isDNSSubdomain(String(value.dropFirst(2)))
    }

    private static func isLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        func alphanumeric(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy { alphanumeric($0) || $0 == 0x2d }
    }

    /// Sorts user-supplied SAN entries into IPs and DNS names; invalid ones come back as kubeadm's warning text.
    public static func classify(_ entries: [String], certificate: String) -> (names: SubjectAltNames, warnings: [String]) {
        var names = SubjectAltNames()
        var warnings: [String] = []
        for entry in entries {
            if let ip = IPAddress(entry) {
                names.ipAddresses.append(ip)
            } else if isDNSSubdomain(entry) || isWildcardDNSSubdomain(entry) {
                names.dnsNames.append(entry)
            } else {
                warnings.append("'\(entry)' was not added to the '\(certificate)' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry")
            }
        }
        return (names, warnings)
    }
}
