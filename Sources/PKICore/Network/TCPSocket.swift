import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// TCP connections for the HTTP client: a bounded connect, then a bound on every read and write.
package enum TCPSocket {
    /// A blocking socket connected to `host:port` (the first address that answers within `connectTimeout`),
    /// with `ioTimeout` on each send and receive. `peer` names what is called in errors.
    package static func connect(host: String, port: Int, connectTimeout: TimeInterval, ioTimeout: TimeInterval, peer: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw PKIError(.connectionFailed, "cannot resolve \(host) for \(peer): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            let outcome = connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen, timeout: connectTimeout)
            if outcome == 0 {
                var limit = timeval(tv_sec: Int(ioTimeout), tv_usec: Int((ioTimeout - ioTimeout.rounded(.down)) * 1e6))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                return fd
            }
            lastError = outcome
            close(fd)
        }
        if lastError == ETIMEDOUT {
            throw PKIError(.timedOut, "\(peer) did not accept a connection within \(Int(connectTimeout))s")
        }
        throw PKIError(.connectionFailed, "cannot connect to \(peer): \(String(cString: strerror(lastError)))")
    }

    /// connect(2) bounded by `timeout`: 0, or the errno that ended it (ETIMEDOUT when time ran out).
    private static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t, timeout: TimeInterval) -> Int32 {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return errno }
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, address, length) == 0 { return 0 }
        guard errno == EINPROGRESS else { return errno }
        var request = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let deadline = Date() + timeout
        while true {
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow * 1000).rounded(.up))
            let ready = poll(&request, 1, remaining)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { return errno }
            if ready == 0 { return ETIMEDOUT }
            break
        }
        var failure: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size) == 0 else { return errno }
        return failure
    }
}
