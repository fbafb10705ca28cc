import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// pkid under `Type=notify`, as systemd sees it: the datagrams on NOTIFY_SOCKET through start, a pass, the
/// watchdog, a SIGHUP reload and SIGTERM.
final class SystemdNotifyTests: EndToEndTestCase {
    /// systemd's side: a datagram socket recording each message, messages separated by a line "--".
    private func startNotifyListener(root: String) throws -> (socket: String, log: String) {
        let socket = root + "/notify.sock", log = root + "/notified"
        _ = try startBackground(try requireTool("python3", install: "install python3"), ["-c", """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
            while True:
                message = s.recv(4096)
                with open(sys.argv[2], "ab") as out:
                    out.write(message + b"\\n--\\n")
            """, socket, log], logPath: root + "/notify.log")
        XCTAssertTrue(eventually(timeout: 10) { FileManager.default.fileExists(atPath: socket) }, "the listener did not bind \(socket)")
        return (socket, log)
    }

    private func messages(_ log: String) -> [[String]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.components(separatedBy: "\n--\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: "\n") }
    }

    func testStatusWatchdogReloadAndStoppingReachSystemd() throws {
        let node = try makeKubeadmNode("notify")
        let (socket, log) = try startNotifyListener(root: node.root)
        let configFile = node.root + "/pkid.yaml"
        try "check-interval: 1h\nrestart-strategy: none\n".write(toFile: configFile, atomically: true, encoding: .utf8)
        let port = try freePorts(1)[0]
        let pkidLog = node.root + "/pkid.log"
        // WATCHDOG_USEC of 1 s: a keep-alive every 0.5 s. WATCHDOG_PID is left out, as for the main process.
        let pkid = try startBackground(try pkidPath(), ["--config-file", configFile, "--db", try inventoryPath(),
                                                        "--listen", "127.0.0.1:\(port)"] + node.pathArguments,
                                       logPath: pkidLog, environment: ["NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "1000000"])

        XCTAssertTrue(eventually(timeout: 60) { messages(log).contains { $0.contains("READY=1") } }, "no READY=1\n\(tail(pkidLog))")
        XCTAssertTrue(eventually(timeout: 60) {
            messages(log).contains { $0.contains { $0.hasPrefix("STATUS=last pass ") } }
        }, "no STATUS= after the pass: \(messages(log))\n\(tail(pkidLog))")
        let status = try XCTUnwrap(messages(log).flatMap { $0 }.last { $0.hasPrefix("STATUS=last pass ") })
        XCTAssertTrue(status.contains(" succeeded, 0 renewed; next renewal "), status)
        XCTAssertTrue(eventually(timeout: 10) { messages(log).filter { $0 == ["WATCHDOG=1"] }.count >= 3 },
                      "fewer than 3 WATCHDOG=1 at 0.5 s intervals: \(messages(log))")

        let beforeReload = messages(log).count
        kill(pkid.processIdentifier, SIGHUP)
        XCTAssertTrue(eventually(timeout: 30) {
            let after = messages(log).dropFirst(beforeReload)
            guard let reloading = after.firstIndex(where: { $0.contains("RELOADING=1") }) else { return false }
            return after[reloading...].dropFirst().contains { $0.contains("READY=1") }
        }, "no RELOADING=1 then READY=1 after SIGHUP: \(messages(log).dropFirst(beforeReload))")
        let reloading = try XCTUnwrap(messages(log).first { $0.contains("RELOADING=1") })
        let monotonic = try XCTUnwrap(reloading.first { $0.hasPrefix("MONOTONIC_USEC=") }, "\(reloading)")
        XCTAssertNotNil(UInt64(monotonic.dropFirst("MONOTONIC_USEC=".count)), monotonic)

        kill(pkid.processIdentifier, SIGTERM)
        XCTAssertTrue(eventually(timeout: 15) { !pkid.isRunning }, "pkid did not exit after SIGTERM\n\(tail(pkidLog))")
        pkid.waitUntilExit()
        XCTAssertEqual(pkid.terminationStatus, 0, tail(pkidLog))
        XCTAssertTrue(eventually(timeout: 5) { messages(log).contains { $0.contains("STOPPING=1") } }, "no STOPPING=1: \(messages(log))")
    }

    func testNoWatchdogIsSentForAnotherProcessOrWithoutWatchdogUsec() throws {
        let node = try makeKubeadmNode("notify-nowatchdog")
        let (socket, log) = try startNotifyListener(root: node.root)
        let port = try freePorts(1)[0]
        let pkidLog = node.root + "/pkid.log"
        // WATCHDOG_PID names another process (pid 1): systemd's watchdog is not ours to feed.
        let pkid = try startBackground(try pkidPath(), ["--db", try inventoryPath(), "--restart-strategy", "none",
                                                        "--listen", "127.0.0.1:\(port)"] + node.pathArguments,
                                       logPath: pkidLog, environment: ["NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"])
        XCTAssertTrue(eventually(timeout: 60) { messages(log).contains { $0.contains { $0.hasPrefix("STATUS=last pass ") } } },
                      "no STATUS=\n\(tail(pkidLog))")
        usleep(500_000)
        XCTAssertFalse(messages(log).contains { $0.contains("WATCHDOG=1") }, "\(messages(log))")
        stopBackground(pkid)
    }
}
