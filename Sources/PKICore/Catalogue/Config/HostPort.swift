import PKICrypto

/// An endpoint as kubeadm writes one: `host`, `host:port`, or `[ipv6]:port` (a bare IPv6 address has no port).
public struct HostPort: Sendable, Equatable {
    public let host: String
    public let port: Int?

    /// Nil when the text has none of those forms, the host is neither an IP address nor a DNS name, or the port is
    /// not in 1-65535.
    public init?(_ text: String) {
        var host = text
        var portText: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = String(rest.dropFirst())
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        } else if text.contains(":") {
            guard IPAddress(text) != nil else { return nil }
        }
        if let portText {
            guard portText.allSatisfy({ ("0"..."9").contains($0) }), let value = Int(portText), (1...65535).contains(value) else { return nil }
            self.port = value
        } else {
            self.port = nil
        }
        guard !host.isEmpty, IPAddress(host) != nil || SANValidation.isDNSSubdomain(host) else { return nil }
        self.host = host
    }
}
