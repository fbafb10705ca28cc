import Foundation
import PKICatalogue
import PKICrypto
import PKIStore
import XCTest

/// `pkictl ca renew` on kubeadm node layouts: the same key under a new certificate, every copy on the node
/// updated, everything signed before still verifying against the renewed certificate alone.
final class CARenewalTests: EndToEndTestCase {
    private static let leavesByAuthority: [String: [String]] = [
        "ca.crt": ["apiserver.crt", "apiserver-kubelet-client.crt"],
        "etcd/ca.crt": ["etcd/server.crt", "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt"],
        "front-proxy-ca.crt": ["front-proxy-client.crt"],
    ]

    /// Every copy of each CA on the node (the file, and the CA data of each kubeconfig), written out one per file.
    private func authorityCopies(_ node: KubeadmNode, scratch: String) throws -> [String: [String]] {
        var copies: [String: [String]] = [:]
        for (file, _) in Self.leavesByAuthority { copies[file] = [node.pki + "/" + file] }
        for entry in try FileManager.default.contentsOfDirectory(atPath: node.kubernetesDir) where entry.hasSuffix(".conf") {
            let path = node.kubernetesDir + "/" + entry
            let kubeconfig = try Kubeconfig.parse(try XCTUnwrap(FileManager.default.contents(atPath: path)), source: path)
            let copy = scratch + "/" + entry + ".ca.crt"
            try XCTUnwrap(kubeconfig.certificateAuthority).write(to: URL(fileURLWithPath: copy))
            copies["ca.crt", default: []].append(copy)
        }
        return copies
    }

    /// Each leaf verifies against each copy of its CA taken alone; returns the failures.
    private func unverifiable(_ node: KubeadmNode, scratch: String) throws -> [String] {
        var failures: [String] = []
        for (authority, copies) in try authorityCopies(node, scratch: scratch) {
            for copy in copies {
                let leaves = (Self.leavesByAuthority[authority] ?? []).map { node.pki + "/" + $0 }
                let verify = try run(try openssl(), ["verify", "-CAfile", copy] + leaves)
                if verify.status != 0 { failures.append("\(copy): \(verify.stdout)\(verify.stderr)") }
            }
        }
        return failures
    }

    private func serial(of path: String) throws -> String {
        try Certificate(pem: try XCTUnwrap(FileManager.default.contents(atPath: path)), source: path).serialNumberHex
    }

    func testRenewedCAsKeepEverythingVerifyingOnECDSAAndRSA() throws {
        for algorithm in ["ECDSA-P256", "RSA-2048"] {
            let node = try makeKubeadmNode("ca-renew-\(algorithm)")
            if algorithm.hasPrefix("RSA") {
                // An RSA PKI: made again from the same config with RSA keys.
                try FileManager.default.removeItem(atPath: node.pki)
                for entry in try FileManager.default.contentsOfDirectory(atPath: node.kubernetesDir) where entry.hasSuffix(".conf") && entry != "kubelet.conf" {
                    try FileManager.default.removeItem(atPath: node.kubernetesDir + "/" + entry)
                }
                try FileManager.default.removeItem(atPath: node.kubernetesDir + "/kubelet.conf")
                let made = try pkictl(["init", "--encryption-algorithm", "RSA-2048"] + node.pathArguments)
                XCTAssertEqual(made.status, 0, describe(made))
            }
            let scratch = try makeTemporaryDirectory("ca-renew-scratch")
            let hashBefore = try pkictl(["ca-hash", "--cert-dir", node.pki]).stdout
            let serialsBefore = try Self.leavesByAuthority.keys.map { try serial(of: node.pki + "/" + $0) }
            let leafBytes = try snapshot(node.pki).filter { !$0.key.contains("ca.") }

            let before = try snapshot(node.kubernetesDir)
            let dryRun = try pkictl(["ca", "renew", "all", "--dry-run"] + node.pathArguments)
            XCTAssertEqual(dryRun.status, 0, describe(dryRun))
            XCTAssertTrue(dryRun.stdout.contains("certificate-authority-data of \(node.kubernetesDir)/admin.conf"), dryRun.stdout)
            XCTAssertTrue(dryRun.stdout.contains("Afterwards restart: etcd, kube-apiserver, kube-controller-manager, kube-scheduler"), dryRun.stdout)
            XCTAssertEqual(try snapshot(node.kubernetesDir), before, "a dry run changes nothing")

            let renewed = try pkictl(["ca", "renew", "all", "--validity", "175200h"] + node.pathArguments)
            XCTAssertEqual(renewed.status, 0, describe(renewed))
            XCTAssertEqual(try pkictl(["ca-hash", "--cert-dir", node.pki]).stdout, hashBefore, "the discovery hash stays")
            let serialsAfter = try Self.leavesByAuthority.keys.map { try serial(of: node.pki + "/" + $0) }
            XCTAssertTrue(zip(serialsBefore, serialsAfter).allSatisfy { $0 != $1 }, "\(algorithm): every CA has a new serial")
            XCTAssertEqual(try snapshot(node.pki).filter { !$0.key.contains("ca.") }, leafBytes, "no leaf or key changes")
            let ca = try Certificate(pem: try XCTUnwrap(FileManager.default.contents(atPath: node.pki + "/ca.crt")), source: "ca.crt")
            XCTAssertGreaterThan(ca.notAfter, Date() + 19 * 365 * 86400)
            XCTAssertEqual(try unverifiable(node, scratch: scratch), [], algorithm)
            // Every kubeconfig now carries the renewed certificate itself.
            for copy in try authorityCopies(node, scratch: scratch)["ca.crt"] ?? [] {
                XCTAssertEqual(try serial(of: copy), serialsAfter[Array(Self.leavesByAuthority.keys).firstIndex(of: "ca.crt") ?? 0], copy)
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: node.kubernetesDir + "/pki-backup"), "previous files kept")
        }
    }

    /// Killed at any rename, every CA copy on the node still verifies every leaf (old and renewed certificates
    /// verify the same chains), and a second run completes the renewal.
    func testKillAtEveryRenameLeavesAWorkingNodeAndARerunCompletes() throws {
        let strace = try requireTool("strace", install: "install strace (Debian package strace)")
        let probe = try makeKubeadmNode("ca-renew-probe")
        let traceLog = probe.root + "/trace.log"
        let traced = try run(strace, ["-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o", traceLog, try pkictlPath(),
                                      "ca", "renew", "all", "--no-backup", "--db", probe.root + "/inventory.db"] + probe.pathArguments)
        XCTAssertEqual(traced.status, 0, describe(traced))
        let calls = try readString(traceLog).split(separator: "\n").filter { $0.contains("rename") }
        let syscall = ["renameat2", "renameat", "rename"].first { name in calls.contains { $0.contains(" \(name)(") || $0.hasPrefix("\(name)(") } } ?? "rename"
        XCTAssertGreaterThanOrEqual(calls.count, 3 + 5, "three CA files and five kubeconfigs: \(calls)")

        for n in 1...calls.count {
            let node = try makeKubeadmNode("ca-renew-kill")
            let scratch = try makeTemporaryDirectory("ca-renew-kill-scratch")
            let killed = try run(strace, ["-f", "-qq", "-o", "/dev/null", "-e", "inject=\(syscall):signal=SIGKILL:when=\(n)", try pkictlPath(),
                                          "ca", "renew", "all", "--no-backup", "--db", node.root + "/inventory.db"] + node.pathArguments)
            XCTAssertNotEqual(killed.status, 0, "rename #\(n) should have killed pkictl")
            XCTAssertEqual(try unverifiable(node, scratch: scratch), [], "right after a kill at rename #\(n)")
            let again = try pkictl(["ca", "renew", "all", "--no-backup"] + node.pathArguments)
            XCTAssertEqual(again.status, 0, "rerun after a kill at rename #\(n): \(describe(again))")
            XCTAssertEqual(try unverifiable(node, scratch: scratch), [], "after the rerun of a kill at rename #\(n)")
            let current = try serial(of: node.pki + "/ca.crt")
            for copy in try authorityCopies(node, scratch: scratch)["ca.crt"] ?? [] {
                XCTAssertEqual(try serial(of: copy), current, "rename #\(n): \(copy) carries the renewed CA")
            }
        }
    }

    /// A real etcd member serving the certificate the old etcd CA signed: a client that trusts only the renewed
    /// etcd CA certificate connects; then the member restarts trusting only the renewed one, and the old client
    /// certificate is still accepted.
    func testEtcdServesClientsThatHoldOnlyTheRenewedEtcdCA() throws {
        let etcd = try requireTool("etcd", install: "install etcd-server")
        let etcdctl = try requireTool("etcdctl", install: "install etcd-client")
        let node = try makeKubeadmNode("ca-renew-etcd")
        let oldCA = node.root + "/old-etcd-ca.crt"
        try FileManager.default.copyItem(atPath: node.pki + "/etcd/ca.crt", toPath: oldCA)
        let ports = try freePorts(2)
        let client = "https://127.0.0.1:\(ports[0])", peer = "http://127.0.0.1:\(ports[1])"
        func start(trusting ca: String, label: String) throws -> Process {
            try startBackground(etcd, ["--name", "node1", "--data-dir", node.root + "/etcd-data",
                                       "--listen-client-urls", client, "--advertise-client-urls", client,
                                       "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "node1=\(peer)",
                                       "--client-cert-auth", "--trusted-ca-file", ca,
                                       "--cert-file", node.pki + "/etcd/server.crt", "--key-file", node.pki + "/etcd/server.key"],
                                logPath: node.root + "/etcd-\(label).log")
        }
        func healthy(cacert: String) -> Bool {
            eventually(timeout: 30) {
                (try? run(etcdctl, ["--endpoints", client, "--cacert", cacert, "--cert", node.pki + "/etcd/healthcheck-client.crt",
                                    "--key", node.pki + "/etcd/healthcheck-client.key", "--dial-timeout", "2s", "endpoint", "health"],
                          environment: ["ETCDCTL_API": "3"], timeout: 20))?.status == 0
            }
        }
        let member = try start(trusting: oldCA, label: "old")
        XCTAssertTrue(healthy(cacert: oldCA), tail(node.root + "/etcd-old.log"))

        let renewed = try pkictl(["ca", "renew", "etcd-ca"] + node.pathArguments)
        XCTAssertEqual(renewed.status, 0, describe(renewed))
        XCTAssertNotEqual(try serial(of: oldCA), try serial(of: node.pki + "/etcd/ca.crt"))
        XCTAssertTrue(healthy(cacert: node.pki + "/etcd/ca.crt"), "a client holding only the renewed etcd CA")

        member.terminate()
        member.waitUntilExit()
        _ = try start(trusting: node.pki + "/etcd/ca.crt", label: "renewed")
        XCTAssertTrue(healthy(cacert: oldCA), "the member trusting only the renewed CA accepts the client certificate the old one signed\n" + tail(node.root + "/etcd-renewed.log"))
    }

    /// A CA without its key here (external CA) is refused in one line and nothing changes.
    func testAnExternalCAIsRefusedAndNothingChanges() throws {
        let node = try makeKubeadmNode("ca-renew-external")
        try FileManager.default.moveItem(atPath: node.pki + "/front-proxy-ca.key", toPath: node.root + "/front-proxy-ca.key")
        let before = try snapshot(node.kubernetesDir)
        let refused = try pkictl(["ca", "renew", "ca", "front-proxy-ca"] + node.pathArguments)
        XCTAssertEqual(refused.status, 1, describe(refused))
        XCTAssertEqual(refused.stderr, "Error: \(node.pki)/front-proxy-ca.key is missing: front-proxy-ca is an external CA here; renew it where its key is kept and copy the certificate\n")
        XCTAssertEqual(try snapshot(node.kubernetesDir), before)
        let all = try pkictl(["ca", "renew", "all", "--dry-run"] + node.pathArguments)
        XCTAssertFalse(all.stdout.contains("front-proxy-ca:"), "all is the CAs whose keys are here: \(all.stdout)")
    }

    /// pkid renews a CA in place only with --renew-cas, once the CA is inside its warning window, and names the
    /// components that must restart to read it.
    func testPkidRenewsACAInsideItsWarningWindowOnlyWhenAsked() throws {
        let node = try makeKubeadmNode("ca-renew-pkid")
        // Renewed CAs live 20 years, so one renewed now leaves a window of just over 10.
        try (try readString(node.config) + "\ncaCertificateValidityPeriod: 175200h\n").write(toFile: node.config, atomically: true, encoding: .utf8)
        let before = try serial(of: node.pki + "/ca.crt")
        let base = ["--once", "--db", node.root + "/inventory.db", "--restart-strategy", "none", "--ca-warning-window", "87601h"] + node.pathArguments
        let plain = try run(try pkidPath(), base, timeout: 120)
        XCTAssertEqual(try serial(of: node.pki + "/ca.crt"), before, "without --renew-cas a CA is only warned about: \(plain.stderr)")
        XCTAssertTrue(plain.stderr.contains("inside the warning window"), plain.stderr)

        let renewing = try run(try pkidPath(), base + ["--renew-cas", "true"], timeout: 120)
        XCTAssertNotEqual(try serial(of: node.pki + "/ca.crt"), before, renewing.stderr)
        XCTAssertTrue(renewing.stderr.contains("CA renewed in place"), renewing.stderr)
        XCTAssertTrue(renewing.stderr.contains("restart etcd, kube-apiserver, kube-controller-manager, kube-scheduler yourself"), renewing.stderr)
        let scratch = try makeTemporaryDirectory("ca-renew-pkid-scratch")
        XCTAssertEqual(try unverifiable(node, scratch: scratch), [])
        let renewed = try serial(of: node.pki + "/ca.crt")
        let again = try run(try pkidPath(), base + ["--renew-cas", "true"], timeout: 120)
        XCTAssertEqual(try serial(of: node.pki + "/ca.crt"), renewed, "a renewed CA is out of the window: \(again.stderr)")
    }

    /// `etcd-certs --renew-ca`: the CA of an etcd-certs directory and every member's copy renewed with the same
    /// key; everything it signed verifies against each renewed copy alone. A copy an interrupted renewal left
    /// behind is brought up to date by the next etcd-certs run; a copy of another CA is refused.
    func testEtcdCertsRenewsItsCAAndEveryMembersCopy() throws {
        let root = try makeTemporaryDirectory("etcd-certs-renew")
        let out = root + "/pki"
        let members = "etcd1=127.0.0.1,etcd2=127.0.0.1,etcd3=127.0.0.1"
        XCTAssertEqual(try pkictl(["etcd-certs", "--members", members, "--out", out]).status, 0)
        let before = try serial(of: out + "/ca.crt")
        let renewed = try pkictl(["etcd-certs", "--out", out, "--renew-ca", "--validity", "175200h"])
        XCTAssertEqual(renewed.status, 0, describe(renewed))
        XCTAssertTrue(renewed.stdout.contains("restart the members one at a time"), renewed.stdout)
        let after = try serial(of: out + "/ca.crt")
        XCTAssertNotEqual(after, before)
        for member in ["etcd1", "etcd2", "etcd3"] {
            XCTAssertEqual(try serial(of: "\(out)/\(member)/ca.crt"), after, member)
            let verify = try run(try openssl(), ["verify", "-CAfile", "\(out)/\(member)/ca.crt", "\(out)/\(member)/server.crt", "\(out)/\(member)/peer.crt",
                                                 "\(out)/\(member)/healthcheck-client.crt", out + "/apiserver-etcd-client.crt"])
            XCTAssertEqual(verify.status, 0, "\(member): \(describe(verify))")
        }
        // A kill between two files leaves a copy of the same CA with the old serial: the next run updates it.
        let older = try makeTemporaryDirectory("etcd-certs-renew-old")
        try FileManager.default.copyItem(atPath: out + "/ca.crt", toPath: older + "/ca.crt")
        XCTAssertEqual(try pkictl(["etcd-certs", "--out", out, "--renew-ca", "--validity", "175201h"]).status, 0)
        try FileManager.default.removeItem(atPath: out + "/etcd2/ca.crt")
        try FileManager.default.copyItem(atPath: older + "/ca.crt", toPath: out + "/etcd2/ca.crt")
        let rerun = try pkictl(["etcd-certs", "--members", members, "--out", out])
        XCTAssertEqual(rerun.status, 0, describe(rerun))
        XCTAssertEqual(try serial(of: out + "/etcd2/ca.crt"), try serial(of: out + "/ca.crt"))
        // Another CA's certificate in a member directory is refused, and nothing changes.
        XCTAssertEqual(try pkictl(["etcd-certs", "--members", "other=127.0.0.1", "--out", root + "/other"]).status, 0)
        try FileManager.default.removeItem(atPath: out + "/etcd3/ca.crt")
        try FileManager.default.copyItem(atPath: root + "/other/ca.crt", toPath: out + "/etcd3/ca.crt")
        let snapshotBefore = try snapshot(out)
        let refused = try pkictl(["etcd-certs", "--out", out, "--renew-ca", "--validity", "175202h"])
        XCTAssertEqual(refused.status, 1, describe(refused))
        XCTAssertTrue(refused.stderr.contains("etcd3/ca.crt is not the CA in"), describe(refused))
        XCTAssertEqual(try snapshot(out), snapshotBefore)
    }
}
