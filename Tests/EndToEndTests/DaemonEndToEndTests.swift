import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore

/// pkid as operators run it: the real daemon process on a node laid out as kubeadm leaves it (kubelet.conf naming
/// the kubelet's rotated certificate, kubeadm's static pod manifests), a fake kubelet and fake crictl.
final class DaemonEndToEndTests: EndToEndTestCase {
    private let leaves = ["apiserver.crt", "apiserver-kubelet-client.crt", "front-proxy-client.crt", "etcd/server.crt",
                          "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt"]

    /// A node whose leaves live 2 hours: with renew-before 3h, all are due at once.
    private func shortLivedNode(_ label: String, initNode: Bool = true) throws -> KubeadmNode {
        try makeKubeadmNode(label, validity: "2h", initNode: initNode)
    }

    /// Flags every run shares: the node's paths, its own config file and inventory.
    private func baseArguments(_ node: KubeadmNode, extraFile: String = "") throws -> [String] {
        let configFile = node.root + "/pkid.yaml"
        try "renew-before: 3h\ncheck-interval: 1h\n\(extraFile)".write(toFile: configFile, atomically: true, encoding: .utf8)
        return ["--config-file", configFile, "--db", try inventoryPath()] + node.pathArguments
    }

    private func serials(_ node: KubeadmNode) throws -> [String: String] {
        var result: [String: String] = [:]
        for leaf in leaves { result[leaf] = try serial(node.pki + "/" + leaf) }
        for conf in ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"]
        where FileManager.default.fileExists(atPath: node.kubernetesDir + "/" + conf) {
            result[conf] = try serial(node.kubernetesDir + "/" + conf)
        }
        result["kubelet.conf"] = try serial(node.kubeletClientCurrent)
        return result
    }

    func testDueCertificatesAreRenewedOnceExportedAndSIGTERMExitsCleanly() throws {
        let node = try shortLivedNode("pkid")
        let root = node.root
        let before = try serials(node)
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
        let pkid = try startBackground(try pkidPath(), try baseArguments(node, extraFile: "restart-strategy: none\n")
                                       + ["--listen", "127.0.0.1:\(port)"], logPath: log, environment: ["NOTIFY_SOCKET": notifySocket])
        let metricsURL = "http://127.0.0.1:\(port)/metrics"

        // 2h certificates with renew-before 3h are due at once.
        XCTAssertTrue(eventually(timeout: 60) { httpGet(metricsURL)?.contains("\npkid_last_pass_timestamp_seconds ") == true }, tail(log))
        let after = try serials(node)
        for (name, old) in before where name != "kubelet.conf" {
            XCTAssertNotEqual(after[name], old, "\(name) was not renewed\n\(tail(log))")
        }
        XCTAssertEqual(after["kubelet.conf"], before["kubelet.conf"], "kubelet.conf is never renewed")
        let renewedFiles = try serials(node)

        // The metrics show the new notAfter of each file and the renewals.
        let metrics = try XCTUnwrap(httpGet(metricsURL))
        let apiserver = try Certificate(pem: XCTUnwrap(FileManager.default.contents(atPath: node.pki + "/apiserver.crt")), source: "apiserver.crt")
        let expectedLine = "x509_cert_not_after{filename=\"apiserver.crt\",filepath=\"\(node.pki)/apiserver.crt\",issuer_CN=\"kubernetes\",name=\"apiserver\","
            + "serial_number=\"\(apiserver.serialNumberDecimal)\",subject_CN=\"kube-apiserver\"} "
            + "\(Int64(apiserver.notAfter.timeIntervalSince1970))"
        XCTAssertTrue(metrics.contains(expectedLine), "missing \(expectedLine) in\n\(metrics)")
        // kubelet.conf names the kubelet's rotated certificate: one series, labelled with the file the kubelet reads.
        let kubeletLines = metrics.split(separator: "\n").filter { $0.hasPrefix("x509_cert_not_after{") && $0.contains("system:node:node1") }
        XCTAssertEqual(kubeletLines.count, 1, "\(kubeletLines)")
        XCTAssertTrue(kubeletLines.first?.contains("filepath=\"\(node.kubeletClientCurrent)\",") == true, "\(kubeletLines)")
        XCTAssertTrue(kubeletLines.first?.contains("name=\"kubelet.conf\",") == true, "\(kubeletLines)")
        XCTAssertTrue(metrics.contains("pkid_pending_restarts{component=\"etcd\"} 0"), metrics)
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
        XCTAssertEqual(try serials(node), renewedFiles, "a second pass renewed again\n\(tail(log))")
        XCTAssertTrue(try readString(log).contains("covers the whole lifetime"), tail(log))

        // Every renewal is in the history, by pkid.
        let history = try Inventory(path: try inventoryPath()).history()
        XCTAssertEqual(Set(history.filter { $0.actor == "pkid" && $0.result == "renewed" }.map(\.name)),
                       Set(CertificateRenewal.renewableNames(for: try ClusterConfig.resolve(configFile: node.config, overrides: ConfigOverrides()))
                            .filter { $0.spec.presence == .always }.map(\.rawValue)), "kubeadm's files; no pkid.conf was issued")

        kill(pkid.processIdentifier, SIGTERM)
        XCTAssertTrue(eventually(timeout: 10) { !pkid.isRunning }, "pkid did not exit after SIGTERM\n\(tail(log))")
        pkid.waitUntilExit()
        XCTAssertEqual(pkid.terminationStatus, 0, tail(log))
        XCTAssertFalse(try readString(log).contains("PRIVATE KEY"))
    }

    func testManifestStrategyRestartsComponentsOneAtATimeInOrder() throws {
        let node = try shortLivedNode("pkid-manifest")
        let root = node.root
        let manifests = node.manifests
        let originals = try snapshot(manifests)
        let ports = try freePorts(4)
        let events = try startFakeKubelet(root: root, manifests: manifests, components: kubeletComponents(node, ports: ports))
        let run = try self.run(try pkidPath(), try baseArguments(node) + healthFlags(ports) + [
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
        let node = try shortLivedNode("pkid-stuck")
        let root = node.root
        let manifests = node.manifests
        let ports = try freePorts(4)
        let events = try startFakeKubelet(root: root, manifests: manifests, components: kubeletComponents(node, ports: ports),
                                          neverRestart: ["kube-apiserver"])
        let run = try self.run(try pkidPath(), try baseArguments(node) + healthFlags(ports) + [
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
        let node = try shortLivedNode("pkid-crictl")
        let root = node.root
        let manifests = node.manifests
        let ports = try freePorts(4)
        _ = try startFakeKubelet(root: root, manifests: manifests, components: kubeletComponents(node, ports: ports))
        let calls = root + "/crictl-calls.log"
        let crictl = root + "/crictl"
        try """
        #!/bin/sh
        echo "$*" >> '\(calls)'
        if [ "$1" = pods ]; then echo "sandbox-$5"; fi
        """.write(toFile: crictl, atomically: true, encoding: .utf8)
        chmod(crictl, 0o755)
        // A bare name is found on PATH, as crictl usually is.
        let run = try self.run(try pkidPath(), try baseArguments(node) + healthFlags(ports) + [
            "--once", "--restart-strategy", "crictl", "--crictl", "crictl", "--health-timeout", "30s",
        ], environment: ["PATH": root + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")], timeout: 120)
        XCTAssertEqual(run.status, 0, describe(run))
        let expected = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"].flatMap { component in
            ["pods --namespace kube-system --name \(component)-node1 -q", "rmp -f sandbox-\(component)-node1"]
        }
        XCTAssertEqual(try readString(calls).split(separator: "\n").map(String.init), expected)
    }

    func testAManifestHeldWhenPkidDiesIsPutBackAtTheNextStart() throws {
        let node = try shortLivedNode("pkid-kill")
        let root = node.root
        let manifests = node.manifests
        let originals = try snapshot(manifests)
        let held = node.kubernetesDir + "/pkid-held-manifests/etcd.yaml"
        let log = root + "/pkid.log"
        let pkid = try startBackground(try pkidPath(), try baseArguments(node) + [
            "--once", "--manifests-dir", manifests, "--restart-wait", "10m",
        ], logPath: log)
        XCTAssertTrue(eventually(timeout: 60) { FileManager.default.fileExists(atPath: held) }, tail(log))
        kill(pkid.processIdentifier, SIGKILL)
        pkid.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: manifests + "/etcd.yaml"), "killed while etcd's manifest was held")

        let restart = try run(try pkidPath(), try baseArguments(node) + [
            "--once", "--manifests-dir", manifests, "--restart-strategy", "none",
        ])
        XCTAssertEqual(restart.status, 0, describe(restart))
        XCTAssertTrue(restart.stderr.contains("restored \(manifests)/etcd.yaml"), restart.stderr)
        XCTAssertEqual(try snapshot(manifests), originals)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: node.kubernetesDir + "/pkid-held-manifests"), [])
        XCTAssertEqual(try Inventory(path: try inventoryPath()).heldManifests(), [])
    }

    func testSIGTERMWhileAManifestIsHeldPutsItBackAndExitsZero() throws {
        let node = try shortLivedNode("pkid-term")
        let root = node.root
        let manifests = node.manifests
        let originals = try snapshot(manifests)
        let log = root + "/pkid.log"
        let port = try freePorts(1)[0]
        let pkid = try startBackground(try pkidPath(), try baseArguments(node) + [
            "--manifests-dir", manifests, "--restart-wait", "10m", "--listen", "127.0.0.1:\(port)",
        ], logPath: log)
        XCTAssertTrue(eventually(timeout: 60) { FileManager.default.fileExists(atPath: node.kubernetesDir + "/pkid-held-manifests/etcd.yaml") }, tail(log))
        kill(pkid.processIdentifier, SIGTERM)
        XCTAssertTrue(eventually(timeout: 10) { !pkid.isRunning }, "pkid did not exit after SIGTERM\n\(tail(log))")
        pkid.waitUntilExit()
        XCTAssertEqual(pkid.terminationStatus, 0, tail(log))
        XCTAssertEqual(try snapshot(manifests), originals, "the held manifest is back before exit\n\(tail(log))")
    }

    func testBadConfigurationIsOneLineAndChangesNothing() throws {
        let node = try shortLivedNode("pkid-bad")
        let root = node.root
        let before = try snapshot(root)
        for (extra, message) in [
            (["--restart-strategy", "reboot"], "The value 'reboot' is invalid for '--restart-strategy <strategy>'"),
            (["--renew-before", "soon"], "The value 'soon' is invalid for '--renew-before <duration>': not a positive duration"),
            (["--listen", "nowhere"], "The value 'nowhere' is invalid for '--listen <host:port>': must be HOST:PORT"),
            (["--health-url", "kubelet=https://x/"], "The value 'kubelet=https://x/' is invalid for '--health-url <component=url>': must be COMPONENT=VALUE"),
            (["--config-file", root + "/missing.yaml"], "pkid config file \(root)/missing.yaml does not exist"),
        ] {
            var arguments = try baseArguments(node) + ["--once", "--restart-strategy", "none"]
            if extra[0] == "--config-file" { arguments.removeFirst(2) }
            let result = try run(try pkidPath(), arguments + extra)
            XCTAssertEqual(result.status, 2, describe(result))
            XCTAssertTrue(result.stderr.contains(message), "\(extra): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        try "renew-befor: 3h\n".write(toFile: root + "/typo.yaml", atomically: true, encoding: .utf8)
        let typo = try run(try pkidPath(), ["--config-file", root + "/typo.yaml", "--once", "--cert-dir", node.pki])
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.contains("unknown key \"renew-befor\""), typo.stderr)
        var after = try snapshot(root)
        for name in ["pkid.yaml", "typo.yaml"] { after.removeValue(forKey: name) }
        XCTAssertEqual(after, before)
    }

    /// What pkid will need is checked before the first pass: each problem is one line, exit 2, nothing written.
    func testWhatPkidNeedsIsCheckedAtStart() throws {
        let node = try shortLivedNode("pkid-start")
        let root = node.root
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        let port = try freePorts(1)[0]
        _ = try startBackground(try requireTool("python3", install: "install python3"), ["-c", """
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); open(sys.argv[2], "w").close()
            time.sleep(600)
            """, String(port), root + "/listening"], logPath: root + "/listener.log")
        XCTAssertTrue(eventually(timeout: 10) { FileManager.default.fileExists(atPath: root + "/listening") })
        let before = try snapshot(root)
        for (extra, message) in [
            (["--once", "--cert-dir", root + "/empty"], "certificate directory \(root)/empty holds no PKI (no \(root)/empty/ca.crt)"),
            (["--once", "--config", root + "/no-kubeadm.yaml"], "\(root)/no-kubeadm.yaml"),
            (["--once", "--manifests-dir", root + "/no-manifests"], "manifests dir \(root)/no-manifests is not a directory"),
            (["--once", "--restart-strategy", "crictl", "--crictl", root + "/no-crictl"],
             "crictl \(root)/no-crictl is not an executable file; install crictl, pass --crictl PATH, or use --restart-strategy manifest"),
            (["--restart-strategy", "crictl", "--crictl", "no-such-crictl"], "crictl no-such-crictl (on PATH) is not an executable file"),
            (["--restart-strategy", "none", "--listen", "127.0.0.1:\(port)"], "cannot listen on 127.0.0.1:\(port) (Address already in use)"),
        ] {
            let result = try run(try pkidPath(), try baseArguments(node) + extra, timeout: 60)
            XCTAssertEqual(result.status, 2, "\(extra): \(describe(result))")
            XCTAssertTrue(result.stderr.hasPrefix("pkid: ") && result.stderr.contains(message), "\(extra): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        var after = try snapshot(root)
        after.removeValue(forKey: "pkid.yaml")
        XCTAssertEqual(after, before)
    }

    /// A control plane that joined has no super-admin.conf: a pass there renews what exists and succeeds.
    func testAPassOnAJoinedControlPlaneSucceedsWithoutSuperAdminConf() throws {
        let node = try shortLivedNode("pkid-joined", initNode: false)
        let before = try serials(node)
        let run = try self.run(try pkidPath(), try baseArguments(node) + ["--once", "--restart-strategy", "none"], timeout: 120)
        XCTAssertEqual(run.status, 0, describe(run))
        let after = try serials(node)
        XCTAssertNil(after["super-admin.conf"])
        for (name, old) in before where name != "kubelet.conf" {
            XCTAssertNotEqual(after[name], old, "\(name) was not renewed\n\(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: node.kubernetesDir + "/super-admin.conf"))
        XCTAssertFalse(run.stderr.contains("error"), run.stderr)
    }

    func testTheUnitDoesNotRestartAConfigurationPkidRefused() throws {
        let unit = try readString(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("contrib/pkid.service").path)
        let service = unit.components(separatedBy: "[Service]").last ?? ""
        XCTAssertTrue(service.contains("\nRestart=on-failure\n"), unit)
        XCTAssertTrue(service.contains("\nRestartPreventExitStatus=2\n"), "exit 2 is a refused configuration\n\(unit)")
    }
}
