import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore
/// One member of an external etcd cluster: its name (also its DNS SAN and directory) and its IP address.
public struct EtcdMember: Sendable, Equatable {
    public let name: String
    public let address: IPAddress

    public init(name: String, address: IPAddress) {
        self.name = name
        self.address = address
    }

    /// `--members NAME=IP[,NAME=IP...]`; names must be distinct lowercase DNS names.
    public static func parseList(_ text: String) throws -> [EtcdMember] {
        var members: [EtcdMember] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: true).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                throw PKIError(.invalidInput, "--members entry \"\(entry)\" is not NAME=IP; write e.g. etcd1=10.0.0.11")
            }
            guard SANValidation.isDNSSubdomain(parts[0]) else {
                throw PKIError(.invalidInput, "--members name \"\(parts[0])\" is not a lowercase DNS name; use letters, digits, '-' and '.'")
            }
            guard let address = IPAddress(parts[1]) else {
                throw PKIError(.invalidInput, "--members address \"\(parts[1])\" of \(parts[0]) is not an IP address; write e.g. \(parts[0])=10.0.0.11")
            }
            guard !address.bytes.allSatisfy({ $0 == 0 }) else {
                throw PKIError(.invalidInput, "--members address \(parts[1]) of \(parts[0]) is unspecified; give the address other members and clients reach it at")
            }
            guard !members.contains(where: { $0.name == parts[0] }) else {
                throw PKIError(.invalidInput, "--members names \(parts[0]) twice; give each member a distinct name")
            }
            members.append(EtcdMember(name: parts[0], address: address))
        }
        guard !members.isEmpty else {
            throw PKIError(.invalidInput, "--members is empty; pass NAME=IP for each etcd member, e.g. etcd1=10.0.0.11,etcd2=10.0.0.12")
        }
        return members
    }
}
