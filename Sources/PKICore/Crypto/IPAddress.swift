#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as raw network-order bytes (4 or 16), printed the way Go prints `net.IP`.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a textual IPv4 or IPv6 address (no brackets, no zone).
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let raw = withUnsafeBytes(of: &v6) { Array($0) }
            // Go treats IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address.
            if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xff && raw[11] == 0xff {
                self.bytes = Array(raw[12..<16])
            } else {
                self.bytes = raw
            }
            return
        }
        return nil
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        return ok ? String(nulTerminated: buffer) : "?"
    }

    /// The form used inside a URL host: IPv6 in brackets.
    public var urlHost: String { isIPv4 ? description : "[\(description)]" }
}

/// A CIDR block such as a Service subnet.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])), let prefix = Int(parts[1]),
              prefix >= 0, prefix <= address.bytes.count * 8 else { return nil }
        // Reduce the address to the network address, as Go's net.ParseCIDR does.
        var masked = address.bytes
        for index in masked.indices {
            let bitsInByte = max(0, min(8, prefix - index * 8))
            masked[index] &= bitsInByte == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsInByte))
        }
        guard let network = IPAddress(bytes: masked) else { return nil }
        self.address = network
        self.prefixLength = prefix
    }

    /// The address at `index` inside the block (network address + index), nil when it falls outside.
    public func address(at index: UInt64) -> IPAddress? {
        var bytes = address.bytes
        var carry = index
        for position in bytes.indices.reversed() where carry > 0 {
            let sum = UInt64(bytes[position]) + (carry & 0xff)
            bytes[position] = UInt8(sum & 0xff)
            carry = (carry >> 8) + (sum >> 8)
        }
        guard carry == 0, let result = IPAddress(bytes: bytes), contains(result) else { return nil }
        return result
    }

    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.bytes.count == address.bytes.count, let other = IPNetwork("\(ip)/\(prefixLength)") else { return false }
        return other.address == address
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
