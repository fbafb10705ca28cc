import PKICrypto
import PKIStore
/// kubeadm's rules for names that go into certificates, as Kubernetes' validation package states them.
public enum SANValidation {
    /// An RFC 1123 subdomain as Kubernetes' IsDNS1123Subdomain checks it: dot-separated labels of [a-z0-9-], each
    /// beginning and ending with a letter or digit, at most 253 characters in all (labels are not limited to 63).
    public static func isDNSSubdomain(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 253 else { return false }
        return value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isLabel)
    }

    /// `*.` followed by an RFC 1123 subdomain, at most 253 characters in all (IsWildcardDNS1123Subdomain).
    public static func isWildcardDNSSubdomain(_ value: String) -> Bool {
        value.hasPrefix("*.") && value.utf8.count <= 253 && isDNSSubdomain(String(value.dropFirst(2)))
    }

    private static func isLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alphanumeric(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy { alphanumeric($0) || $0 == 0x2d }
    }

    /// What kubeadm's ValidateCertSANs accepts: an IP address, an RFC 1123 subdomain or a wildcard one.
    public static func isAcceptable(_ entry: String) -> Bool {
        IPAddress(entry) != nil || isDNSSubdomain(entry) || isWildcardDNSSubdomain(entry)
    }

    /// Refuses the first entry kubeadm's ValidateCertSANs would refuse; `field` names where the list came from.
    public static func validate(_ entries: [String], field: String) throws {
        if let entry = entries.first(where: { !isAcceptable($0) }) {
            throw PKIError(.invalidInput, "\(field) entry \"\(entry)\" is not an IP address, a lowercase RFC 1123 DNS name or a wildcard one (*.example.com); fix or remove it")
        }
    }

    /// Sorts user-supplied SAN entries into IPs and DNS names; invalid ones come back as kubeadm's warning text.
    /// (ClusterConfig.resolve refuses them first, as kubeadm's validation does; like kubeadm's certificate code,
    /// this does not rely on it.)
    public static func classify(_ entries: [String], certificate: String) -> (names: SubjectAltNames, warnings: [String]) {
        var names = SubjectAltNames()
        var warnings: [String] = []
        for entry in entries {
            if let ip = IPAddress(entry) {
                names.ipAddresses.append(ip)
            } else if isAcceptable(entry) {
                names.dnsNames.append(entry)
            } else {
                warnings.append("'\(entry)' was not added to the '\(certificate)' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry")
            }
        }
        return (names, warnings)
    }
}
