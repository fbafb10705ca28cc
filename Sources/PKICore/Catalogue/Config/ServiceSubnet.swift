import PKICrypto

/// networking.serviceSubnet (--service-cidr) as kubeadm validates it (ValidateIPNetFromString and
/// ValidateServiceSubnetSize): one CIDR, or two of different families for dual-stack, split at commas as written;
/// each holds at least 10 addresses and at most 2^20, so an IPv4 mask is /12 to /28 and an IPv6 one /108 to /124.
enum ServiceSubnet {
    /// kubeadm's MinimumAddressesInServiceSubnet.
    static let minimumAddresses = 10
    /// kubeadm's MaximumBitsForServiceSubnet: the API server cannot allocate from a larger range.
    static let maximumHostBits = 20

    /// The first (primary) subnet of `text`, whose first address is the API server's Service IP, once all are valid.
    static func primary(of text: String) throws -> IPNetwork {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var subnets: [IPNetwork] = []
        for entry in entries {
            guard let subnet = IPNetwork(entry) else {
                throw PKIError(.invalidInput, "service CIDR \"\(text)\" is not a valid CIDR (\"\(entry)\"); use a block such as 10.96.0.0/12, or two separated by a comma for dual-stack")
            }
            subnets.append(subnet)
        }
        // One subnet, or two of different families: as many subnets as families.
        guard let primary = subnets.first, Set(subnets.map(\.address.isIPv4)).count == subnets.count else {
            throw PKIError(.invalidInput, "service CIDR \"\(text)\" must be one CIDR (IPv4 or IPv6), or two for dual-stack networking, one of each family")
        }
        for subnet in subnets {
            let bits = subnet.address.bytes.count * 8
            let hostBits = bits - subnet.prefixLength
            if hostBits > maximumHostBits {
                throw PKIError(.invalidInput, "service CIDR \(subnet) is too large; for \(bits)-bit addresses the mask must be /\(bits - maximumHostBits) or longer")
            }
            if 1 << hostBits < minimumAddresses {
                throw PKIError(.invalidInput, "service CIDR \(subnet) holds \(1 << hostBits) address(es); kubeadm needs at least \(minimumAddresses), so use a shorter mask such as /\(bits - 4)")
            }
        }
        return primary
    }
}
