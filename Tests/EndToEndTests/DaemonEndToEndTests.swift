import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore

/// pkid as operators run it: the real daemon process against a real PKI, a fake kubelet and fake crictl.
final class DaemonEndToEndTests: EndToEndTestCase {
    private let leaves = ["apiserver.crt", "apiserver-kubelet-client.crt", "front-proxy-client.crt", "etcd/server.crt",
                          "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt"]

    /// Flags every run shares: this test's paths, its own config file and inventory.
    private func baseArguments(_ root: String, config: String, extraFile: String = "") throws -> [String] {
        let configFile = root + "/pkid.yaml"
        try "renew-before: 3h\ncheck-interval: 1h\n\(extraFile)".write(toFile: configFile, atomically: true, encoding: .utf8)
        return ["--config-file", configFile, "--config", config, "--cert-dir", root + "/pki", "--kubeconfig-dir", root,
                "--db", try inventoryPath(), "--kubelet-client-cert", root + "/no-kubelet-client.pem"]
    }

    private func serials(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for leaf in leaves { result[leaf] = try serial(root + "/pki/" + leaf) }
        for conf in ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf", "kubelet.conf"] {
            result[conf] = try serial(root + "/" + conf)
        }
        return result
    }

    func testDueCertificatesAreRenewedOnceExportedAndSIGTERMExitsCleanly() throws {
        let root = try makeTemporaryDirectory("pkid")
        let config = try shortLivedConfig(root)
        let before = try serials(root)
        let port = try freePorts(1)[0]
        let log = root + "/pkid.log"
        // systemd's side of Type=notify: a datagram socket that records what pkid sends.
        let notifySocket = root + "/notify.sock", notified = root + "/notified"
        _ = try startBackground(try requireTool("python3", install: "install python3"), ["-c", """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
            while True:
                open(sys.argv[2], "ab").write(s.recv(4096) + b"\\n")
            """, notifySocket, notified], logPath: root + "/notify.log")
        XCTAssertTrue(eventually(timeout: 10) { FileManager.default.fileExists(atPath: notifySocket) })
        let pkid = try startBackground(try pkidPath(), try baseArguments(root, config: config, extraFile: "restart-strategy: none\n")
                                       + ["--listen", "127.0.0.1:\(port)"], logPath: log, environment: ["NOTIFY_SOCKET": notifySocket])
        let metricsURL = "http://127.0.0.1:\(port)/metrics"

        // 2h certificates with renew-before 3h are due at once.
        XCTAssertTrue(eventually(timeout: 60) { httpGet(metricsURL)?.contains("\npkid_last_pass_timestamp_seconds ") == true }, tail(log))
        let after = try serials(root)
        for (name, old) in before where name != "kubelet.conf" {
            XCTAssertNotEqual(after[name], old, "\(name) was not renewed\n\(tail(log))")
        }
        XCTAssertEqual(after["kubelet.conf"], before["kubelet.conf"], "kubelet.conf is never renewed")
        let renewedFiles = try serials(root)

        // The metrics show the new notAfter of each file and the renewals.
        let metrics = try XCTUnwrap(httpGet(metricsURL))
        let apiserver = try Certificate(pem: XCTUnwrap(FileManager.default.contents(atPath: root + "/pki/apiserver.crt")), source: "apiserver.crt")
        let expectedLine = "x509_cert_not_after{filepath=\"\(root)/pki/apiserver.crt\",issuer_CN=\"kubernetes\",name=\"apiserver\","
            + "serial_number=\"\(apiserver.serialNumberDecimal)\",subject_CN=\"kube-apiserver\"} "
            + "\(Int64(apiserver.notAfter.timeIntervalSince1970))"
        XCTAssertTrue(metrics.contains(expectedLine), "missing \(expectedLine) in\n\(metrics)")
        XCTAssertTrue(metrics.contains("pkid_renewals_total{name=\"apiserver\",result=\"success\"} 1"), metrics)
        XCTAssertTrue(metrics.contains("pkid_ca_not_after_timestamp_seconds{name=\"ca\"}"), metrics)
        XCTAssertTrue(metrics.contains("pkid_next_renewal_timestamp_seconds{name=\"scheduler.conf\"}"), metrics)
        XCTAssertFalse(metrics.contains("PRIVATE KEY"), "no key material in metrics")
        XCTAssertTrue(eventually(timeout: 10) { (try? readString(notified))?.contains("READY=1") == true }, "no READY=1 on NOTIFY_SOCKET")
        XCTAssertEqual(httpGet("http://127.0.0.1:\(port)/healthz"), "ok\n")
        XCTAssertEqual(httpGet("http://127.0.0.1:\(port)/readyz"), "ok\n")

        // SIGHUP runs another pass now: renew-before covers the whole lifetime, so nothing is renewed again
        // within the check interval.
        let firstPass = try XCTUnwrap(metrics.split(separator: "\n").first { $0.hasPrefix("pkid_last_pass_timestamp_seconds ") }, metrics)
        kill(pkid.processIdentifier, SIGHUP)
        XCTAssertTrue(eventually(timeout: 30) {
            guard let now = httpGet(metricsURL) else { return false }
            return !now.contains(firstPass) && now.contains("\npkid_last_pass_timestamp_seconds ")
        }, tail(log))
        XCTAssertEqual(try serials(root), renewedFiles, "a second pass renewed again\n\(tail(log))")
        XCTAssertTrue(try readString(log).contains("covers the whole lifetime"), tail(log))

        // Every renewal is in the history, by pkid.
        let history = try Inventory(path: try inventoryPath()).history()
        XCTAssertEqual(Set(history.filter { $0.actor == "pkid" && $0.result == "renewed" }.map(\.name)),
                       Set(CertificateRenewal.renewableNames(for: try ClusterConfig.resolve(configFile: config, overrides: ConfigOverrides())).map(\.rawValue)))

        kill(pkid.processIdentifier, SIGTERM)
        XCTAssertTrue(eventually(timeout: 10) { !pkid.isRunning }, "pkid did not exit after SIGTERM\n\(tail(log))")
        pkid.waitUntilExit()
        XCTAssertEqual(pkid.terminationStatus, 0, tail(log))
        XCTAssertFalse(try readString(log).contains("PRIVATE KEY"))
    }

    /// The fake kubelet's components: etcd and the API server require the client certificates pkid must present.
    private func kubeletComponents(_ root: String, ports: [Int]) -> [(String, Int, String, String, String?)] {
        let pki = root + "/pki"
        return [
            ("etcd", ports[0], pki + "/etcd/server.crt", pki + "/etcd/server.key", pki + "/etcd/ca.crt"),
            ("kube-apiserver", ports[1], pki + "/apiserver.crt", pki + "/apiserver.key", pki + "/ca.crt"),
            ("kube-controller-manager", ports[2], pki + "/front-proxy-client.crt", pki + "/front-proxy-client.key", nil),
            ("kube-scheduler", ports[3], pki + "/front-proxy-client.crt", pki + "/front-proxy-client.key", nil),
        ]
    }

    private func healthFlags(_ ports: [Int]) -> [String] {
        ["--health-url", "etcd=https://127.0.0.1:\(ports[0])/health",
         "--health-url", "kube-apiserver=https://127.0.0.1:\(ports[1])/readyz",
         "--health-url", "kube-controller-manager=https://127.0.0.1:\(ports[2])/healthz",
         "--health-url", "kube-scheduler=https://127.0.0.1:\(ports[3])/healthz"]
    }

    func testManifestStrategyRestartsComponentsOneAtATimeInOrder() throws {
        let root = try makeTemporaryDirectory("pkid-manifest")
        let config = try shortLivedConfig(root)
        let manifests = try makeManifests(root)
        let originals = try snapshot(manifests)
        let ports = try freePorts(4)
        let events = try startFakeKubelet(root: root, manifests: manifests, components: kubeletComponents(root, ports: ports))
        let run = try self.run(try pkidPath(), try baseArguments(root, config: config) + healthFlags(ports) + [
            "--once", "--manifests-dir", manifests, "--restart-wait", "1s", "--health-timeout", "30s",
        ], timeout: 120)
        XCTAssertEqual(run.status, 0, describe(run))
        XCTAssertEqual(Array(kubeletEvents(events).dropFirst(4)), [
            "stopped etcd", "started etcd", "stopped kube-apiserver", "started kube-apiserver",
            "stopped kube-controller-manager", "started kube-controller-manager", "stopped kube-scheduler", "started kube-scheduler",
        ], "restarts in order, each back before the next\n\(run.stderr)")
        XCTAssertEqual(try snapshot(manifests), originals, "every manifest is back, unchanged")
        let restarted = try Inventory(path: try inventoryPath()).history().filter { $0.result == "restarted" }.map(\.name)
        XCTAssertEqual(Set(restarted), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"])
        XCTAssertEqual(try Inventory(path: try inventoryPath()).pendingRestarts(), [])
    }

    func testAComponentThatDoesNotComeBackStopsTheRollout() throws {
        let root = try makeTemporaryDirectory("pkid-stuck")
        let config = try shortLivedConfig(root)
        let manifests = try makeManifests(root)
        let ports = try freePorts(4)
        let events = try startFakeKubelet(root: root, manifests: manifests, components: kubeletComponents(root, ports: ports),
                                          neverRestart: ["kube-apiserver"])
        let run = try self.run(try pkidPath(), try baseArguments(root, config: config) + healthFlags(ports) + [
            "--once", "--manifests-dir", manifests, "--restart-wait", "0.5s", "--health-timeout", "3s",
        ], timeout: 120)
        XCTAssertEqual(run.status, 1, "a failed restart fails the pass: \(describe(run))")
        XCTAssertEqual(Array(kubeletEvents(events).dropFirst(4)), ["stopped etcd", "started etcd", "stopped kube-apiserver"],
                       "controller-manager and scheduler must not be touched\n\(run.stderr)")
        XCTAssertTrue(run.stderr.contains("restart failed; later components are left alone"), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: manifests + "/kube-apiserver.yaml"), "the manifest itself is put back")
        let inventory = try Inventory(path: try inventoryPath())
        let failed = try inventory.history().filter { $0.result == "restart-failed" }
        XCTAssertEqual(failed.map(\.name), ["kube-apiserver"])
        XCTAssertEqual(Set(try inventory.pendingRestarts().map(\.component)), ["kube-apiserver", "kube-controller-manager", "kube-scheduler"],
                       "what was not restarted stays owed")
    }

    func testCrictlStrategyRemovesEachPodSandboxInOrder() throws {
        let root = try makeTemporaryDirectory("pkid-crictl")
        let config = try shortLivedConfig(root)
        let manifests = try makeManifests(root)
        let ports = try freePorts(4)
        _ = try startFakeKubelet(root: root, manifests: manifests, components: kubeletComponents(root, ports: ports))
        let calls = root + "/crictl-calls.log"
        let crictl = root + "/crictl"
        try """
        #!/bin/sh
        echo "$*" >> '\(calls)'
        if [ "$1" = pods ]; then echo "sandbox-$5"; fi
        """.write(toFile: crictl, atomically: true, encoding: .utf8)
        chmod(crictl, 0o755)
        // A bare name is found on PATH, as crictl usually is.
        let run = try self.run(try pkidPath(), try baseArguments(root, config: config) + healthFlags(ports) + [
            "--once", "--restart-strategy", "crictl", "--crictl", "crictl", "--health-timeout", "30s",
        ], environment: ["PATH": root + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")], timeout: 120)
        XCTAssertEqual(run.status, 0, describe(run))
        let expected = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"].flatMap { component in
            ["pods --namespace kube-system --name \(component)-node1 -q", "rmp -f sandbox-\(component)-node1"]
        }
        XCTAssertEqual(try readString(calls).split(separator: "\n").map(String.init), expected)
    }

    func testAManifestHeldWhenPkidDiesIsPutBackAtTheNextStart() throws {
        let root = try makeTemporaryDirectory("pkid-kill")
        let config = try shortLivedConfig(root)
        let manifests = try makeManifests(root)
        let originals = try snapshot(manifests)
        let held = root + "/pkid-held-manifests/etcd.yaml"
        let log = root + "/pkid.log"
        let pkid = try startBackground(try pkidPath(), try baseArguments(root, config: config) + [
            "--once", "--manifests-dir", manifests, "--restart-wait", "10m",
        ], logPath: log)
        XCTAssertTrue(eventually(timeout: 60) { FileManager.default.fileExists(atPath: held) }, tail(log))
        kill(pkid.processIdentifier, SIGKILL)
        pkid.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: manifests + "/etcd.yaml"), "killed while etcd's manifest was held")

        let restart = try run(try pkidPath(), try baseArguments(root, config: config) + [
            "--once", "--manifests-dir", manifests, "--restart-strategy", "none",
        ])
        XCTAssertEqual(restart.status, 0, describe(restart))
        XCTAssertTrue(restart.stderr.contains("restored \(manifests)/etcd.yaml"), restart.stderr)
        XCTAssertEqual(try snapshot(manifests), originals)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/pkid-held-manifests"), [])
        XCTAssertEqual(try Inventory(path: try inventoryPath()).heldManifests(), [])
    }

    func testSIGTERMWhileAManifestIsHeldPutsItBackAndExitsZero() throws {
        let root = try makeTemporaryDirectory("pkid-term")
        let config = try shortLivedConfig(root)
        let manifests = try makeManifests(root)
        let originals = try snapshot(manifests)
        let log = root + "/pkid.log"
        let port = try freePorts(1)[0]
        let pkid = try startBackground(try pkidPath(), try baseArguments(root, config: config) + [
            "--manifests-dir", manifests, "--restart-wait", "10m", "--listen", "127.0.0.1:\(port)",
        ], logPath: log)
        XCTAssertTrue(eventually(timeout: 60) { FileManager.default.fileExists(atPath: root + "/pkid-held-manifests/etcd.yaml") }, tail(log))
        kill(pkid.processIdentifier, SIGTERM)
        XCTAssertTrue(eventually(timeout: 10) { !pkid.isRunning }, "pkid did not exit after SIGTERM\n\(tail(log))")
        pkid.waitUntilExit()
        XCTAssertEqual(pkid.terminationStatus, 0, tail(log))
        XCTAssertEqual(try snapshot(manifests), originals, "the held manifest is back before exit\n\(tail(log))")
    }

    func testBadConfigurationIsOneLineAndChangesNothing() throws {
        let root = try makeTemporaryDirectory("pkid-bad")
        let config = try shortLivedConfig(root)
        let before = try snapshot(root)
        for (extra, message) in [
            (["--restart-strategy", "reboot"], "The value 'reboot' is invalid for '--restart-strategy <strategy>'"),
            (["--renew-before", "soon"], "The value 'soon' is invalid for '--renew-before <duration>': not a positive duration"),
            (["--listen", "nowhere"], "The value 'nowhere' is invalid for '--listen <host:port>': must be HOST:PORT"),
            (["--health-url", "kubelet=https://x/"], "The value 'kubelet=https://x/' is invalid for '--health-url <component=url>': must be COMPONENT=VALUE"),
            (["--config-file", root + "/missing.yaml"], "pkid config file \(root)/missing.yaml does not exist"),
        ] {
            var arguments = try baseArguments(root, config: config) + ["--once", "--restart-strategy", "none"]
            if extra[0] == "--config-file" { arguments.removeFirst(2) }
            let result = try run(try pkidPath(), arguments + extra)
            XCTAssertEqual(result.status, 2, describe(result))
            XCTAssertTrue(result.stderr.contains(message), "\(extra): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        try "renew-befor: 3h\n".write(toFile: root + "/typo.yaml", atomically: true, encoding: .utf8)
        let typo = try run(try pkidPath(), ["--config-file", root + "/typo.yaml", "--once", "--cert-dir", root + "/pki"])
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.contains("unknown key \"renew-befor\""), typo.stderr)
        var after = try snapshot(root)
        for name in ["pkid.yaml", "typo.yaml"] { after.removeValue(forKey: name) }
        XCTAssertEqual(after, before)
    }
}
