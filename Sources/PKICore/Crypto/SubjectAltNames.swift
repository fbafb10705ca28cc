/// The subjectAltName entries pkictl reads and writes.
public struct SubjectAltNames: Hashable, Sendable {
    public var dnsNames: [String]
    public var ipAddresses: [IPAddress]
    public var emailAddresses: [String]
    public var uris: [String]

    public init(dnsNames: [String] = [], ipAddresses: [IPAddress] = [], emailAddresses: [String] = [], uris: [String] = []) {
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.emailAddresses = emailAddresses
        self.uris = uris
    }

    public var isEmpty: Bool { dnsNames.isEmpty && ipAddresses.isEmpty && emailAddresses.isEmpty && uris.isEmpty }

    /// kubeadm's normal form: DNS names de-duplicated and sorted, IPs de-duplicated in order.
    public func normalized() -> SubjectAltNames {
        var seenIPs = Set<IPAddress>()
        return SubjectAltNames(
            dnsNames: Array(Set(dnsNames)).sorted(),
            ipAddresses: ipAddresses.filter { seenIPs.insert($0).inserted },
            emailAddresses: emailAddresses,
            uris: uris
        )
    }

    /// True when every DNS name and IP of `required` is present here (DNS compared case-insensitively).
    public func covers(_ required: SubjectAltNames) -> Bool {
        let dns = Set(dnsNames.map { $0.lowercased() })
        let ips = Set(ipAddresses)
        return required.dnsNames.allSatisfy { dns.contains($0.lowercased()) }
            && required.ipAddresses.allSatisfy { ips.contains($0) }
    }

    /// The entries of `required` that are not covered, for error messages.
    public func missing(from required: SubjectAltNames) -> [String] {
        let dns = Set(dnsNames.map { $0.lowercased() })
        let ips = Set(ipAddresses)
        return required.dnsNames.filter { !dns.contains($0.lowercased()) }
            + required.ipAddresses.filter { !ips.contains($0) }.map(\.description)
    }
}
