import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET per state change. A no-op when not run by
/// systemd (no NOTIFY_SOCKET), so the same binary runs by hand, in tests and under the unit.
enum SystemdNotifier {
    /// Sends `fields` ("READY=1", "STATUS=…") as one newline-separated datagram.
    static func notify(_ fields: String...) {
        send(fields, environment: ProcessInfo.processInfo.environment)
    }

    static func ready(status: String? = nil) {
        send(["READY=1"] + (status.map { ["STATUS=" + $0] } ?? []), environment: ProcessInfo.processInfo.environment)
    }

    static func status(_ line: String) {
        notify("STATUS=" + line)
    }

    /// Before re-reading the configuration: systemd ≥ 253 wants the monotonic time with it to tell this reload
    /// from an earlier one; READY=1 must follow once the reload is done.
    static func reloading() {
        notify("RELOADING=1", "MONOTONIC_USEC=\(monotonicMicroseconds())")
    }

    static func stopping() {
        notify("STOPPING=1", "STATUS=stopping: finishing the current file operation")
    }

    static func send(_ fields: [String], environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // "@name" is an abstract socket: a leading NUL byte instead of the "@".
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(fields.joined(separator: "\n").utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), socketAddress, length)
            }
        }
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
