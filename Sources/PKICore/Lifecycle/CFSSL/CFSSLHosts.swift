import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore
/// cfssl's reading of a `hosts` entry: an IP address, else an email address, else a URI, else a DNS name.
public enum CFSSLHosts {
    public static func classify(_ hosts: [String]) -> SubjectAltNames {
        var names = SubjectAltNames()
        for host in hosts {
            if let ip = IPAddress(host) {
                names.ipAddresses.append(ip)
            } else if isEmailAddress(host) {
                names.emailAddresses.append(host)
            } else if isURI(host) {
                names.uris.append(host)
            } else {
                names.dnsNames.append(host)
            }
        }
        return names
    }

    /// `-hostname a,b,c`: comma-separated, empty entries dropped.
    public static func parseList(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0.trimmingSpaces) }.filter { !$0.isEmpty }
    }

    /// A bare RFC 5322 addr-spec (what Go's mail.ParseAddress accepts for a plain address): dot-atom local part, `@`, domain.
    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")
        func isDotAtom(_ part: Substring) -> Bool {
            let atoms = part.split(separator: ".", omittingEmptySubsequences: false)
            return !atoms.isEmpty && atoms.allSatisfy { !$0.isEmpty && $0.allSatisfy { atext.contains($0) || !$0.isASCII } }
        }
        return isDotAtom(parts[0]) && isDotAtom(parts[1])
    }

    /// A URI with a scheme and a host (cfssl's test: `url.Parse` gives both), e.g. `spiffe://cluster/ns/x`.
    static func isURI(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return false }
        let rest = text[text.index(after: colon)...]
        guard rest.hasPrefix("//") else { return false }
        let authority = rest.dropFirst(2).prefix { !"/?#".contains($0) }
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        return !host.isEmpty
    }
}
