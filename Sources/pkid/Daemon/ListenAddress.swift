import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// `HOST:PORT` to listen on (`[::1]:9795` for IPv6; an empty host means every address).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public static let `default` = ListenAddress(host: "127.0.0.1", port: 9795)

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func parse(_ text: String) throws -> ListenAddress {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw ValidationError("must be HOST:PORT, e.g. \(ListenAddress.default)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return ListenAddress(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }
}

extension ListenAddress {
    /// Binds the address once and lets it go: an address this host does not have, a port in use or one that needs
    /// privileges is found at start, before the first pass, as one line.
    func checkBindable() throws {
        func failure(_ reason: String) -> PKIError {
            PKIError(.invalidInput, "cannot listen on \(self) (\(reason)); pass --listen HOST:PORT with an address of this host and a free port")
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let address = found else { throw failure(String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(found) }
        let socketDescriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard socketDescriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(socketDescriptor) }
        // As the HTTP server binds: reusing an address in TIME_WAIT, never one another socket listens on.
        var enable: Int32 = 1
        setsockopt(socketDescriptor, SOL_SOCKET, SO_REUSEADDR, &enable, socklen_t(MemoryLayout<Int32>.size))
        guard bind(socketDescriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            throw failure(String(cString: strerror(errno)))
        }
    }
}
