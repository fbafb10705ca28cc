import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto
import PKIStore

/// The node's own name and address, used when neither a flag nor the config gives them.
public struct HostIdentity: Sendable {
    public let nodeName: @Sendable () -> String
    public let defaultAddress: @Sendable () -> IPAddress?

    public init(nodeName: @escaping @Sendable () -> String, defaultAddress: @escaping @Sendable () -> IPAddress?) {
        self.nodeName = nodeName
        self.defaultAddress = defaultAddress
    }

    /// The hostname, lowercased (kubeadm's default node name), and the address of the default-route interface.
    public static let current = HostIdentity(
        nodeName: { ProcessInfo.processInfo.hostName.lowercased() },
        defaultAddress: { defaultRouteAddress() ?? firstGlobalIPv4() }
    )

    /// The interface holding the IPv4 default route, read from /proc/net/route.
    private static func defaultRouteInterface() -> String? {
        guard let table = try? String(contentsOfFile: "/proc/net/route", encoding: .utf8) else { return nil }
        for line in table.split(separator: "\n").dropFirst() {
            let columns = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if columns.count > 2, columns[1] == "00000000" { return String(columns[0]) }
        }
        return nil
    }

    private static func defaultRouteAddress() -> IPAddress? {
        guard let interface = defaultRouteInterface() else { return nil }
        return interfaceIPv4Addresses().first { $0.interface == interface }?.address
    }

    private static func firstGlobalIPv4() -> IPAddress? {
        interfaceIPv4Addresses().first { $0.address.bytes[0] != 127 }?.address
    }

    private static func interfaceIPv4Addresses() -> [(interface: String, address: IPAddress)] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var found: [(String, IPAddress)] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let socketAddress = entry.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET),
                  entry.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
            let bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
            if let ip = IPAddress(bytes: bytes) {
                found.append((String(cString: entry.pointee.ifa_name), ip))
            }
        }
        return found
    }
}
