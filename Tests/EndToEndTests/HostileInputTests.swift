import Foundation
import PKICatalogue
import PKICrypto
import PKIStore
import XCTest

/// What an audit of hostile and broken input found, each against the built pkictl on a real node layout.
final class HostileInputTests: EndToEndTestCase {
    private func strace() throws -> String {
        try requireTool("strace", install: "install strace (Debian package strace)")
    }

    private func matches(_ node: KubeadmNode, _ baseName: String) throws -> Bool {
        let pki = PKIDirectory(root: node.pki)
        return try XCTUnwrap(pki.readKey(baseName)).matches(XCTUnwrap(pki.readCertificate(baseName)))
    }

    /// Killed after the new key moved in and before the new certificate did, then the operator put the old pair
    /// back from a copy: the next writer must not install the staged certificate beside the restored key.
    func testAStagedCertificateIsNotInstalledBesideAPairRestoredMeanwhile() throws {
        let node = try makeKubeadmNode("hostile-restore")
        let arguments = node.pathArguments + ["--db", node.root + "/inventory.db"]
        let saved = node.root + "/saved"
        XCTAssertEqual(try shell("mkdir '\(saved)' && cp -p '\(node.pki)/apiserver.crt' '\(node.pki)/apiserver.key' '\(saved)/'").status, 0)
        // renew's renames for one pair: stage key, stage certificate, old certificate aside, key in, certificate in.
        let killed = try run(try strace(), ["-f", "-qq", "-o", "/dev/null", "-e", "inject=rename,renameat,renameat2:signal=SIGKILL:when=5",
                                            try pkictlPath(), "renew", "apiserver", "--no-backup"] + arguments)
        XCTAssertNotEqual(killed.status, 0, describe(killed))
        XCTAssertTrue(FileManager.default.fileExists(atPath: node.pki + "/.apiserver.crt.pending"), "killed inside the swap")
        XCTAssertEqual(try shell("cp -p '\(saved)/apiserver.crt' '\(saved)/apiserver.key' '\(node.pki)/'").status, 0)

        let writer = try pkictl(["init"] + arguments)
        XCTAssertEqual(writer.status, 0, describe(writer))
        XCTAssertTrue(writer.stderr.contains("an interrupted write of \(node.pki)/apiserver.crt was not installed (it does not match the key \(node.pki)/apiserver.key)"),
                      writer.stderr)
        XCTAssertTrue(try matches(node, "apiserver"), "the restored pair stays whole")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: node.pki + "/apiserver.crt")), try Data(contentsOf: URL(fileURLWithPath: saved + "/apiserver.crt")))
        let kept = try FileManager.default.contentsOfDirectory(atPath: node.pki).filter { $0.hasPrefix(".apiserver.crt.rejected-") }
        XCTAssertEqual(kept.count, 1, "set aside, not deleted")
    }

    /// A certificate caught in the middle of its replacement shows as missing; check-expiration says that the next
    /// writer completes it.
    func testCheckExpirationSaysAMissingCertificateIsBeingReplaced() throws {
        let node = try makeKubeadmNode("hostile-missing")
        XCTAssertEqual(try shell("mv '\(node.pki)/apiserver.crt' '\(node.pki)/.apiserver.crt.pending'").status, 0)
        let check = try pkictl(["check-expiration"] + node.pathArguments + ["--db", node.root + "/inventory.db"])
        XCTAssertEqual(check.status, 0, describe(check))
        XCTAssertTrue(check.stdout.contains("!MISSING! apiserver "), check.stdout)
        XCTAssertEqual(check.stderr, "note: \(node.pki)/apiserver.crt is missing because a writer was stopped while replacing it; the next pkictl init or renew, or pkid's next pass, completes the replacement\n")
        let renew = try pkictl(["renew", "apiserver", "--no-backup"] + node.pathArguments + ["--db", node.root + "/inventory.db"])
        XCTAssertEqual(renew.status, 0, describe(renew))
        XCTAssertTrue(try matches(node, "apiserver"))
    }

    /// A backup killed half way never leaves a half backup under a real name, and the next one clears it.
    func testABackupKilledHalfWayLeavesNoHalfBackup() throws {
        let node = try makeKubeadmNode("hostile-backup")
        let arguments = node.pathArguments + ["--db", node.root + "/inventory.db"]
        let backups = node.root + "/etc/pki-backup"
        for n in [1, 5, 10] {
            let killed = try run(try strace(), ["-f", "-qq", "-o", "/dev/null", "-e", "inject=rename,renameat,renameat2:signal=SIGKILL:when=\(n)",
                                                try pkictlPath(), "renew", "all", "--backup-dir", backups + "/killed-\(n)"] + arguments)
            XCTAssertNotEqual(killed.status, 0, describe(killed))
            let names = (try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? []
            XCTAssertFalse(names.contains("killed-\(n)"), "no half backup under its real name after a kill at rename #\(n): \(names)")
        }
        let renew = try pkictl(["renew", "all", "--backup-dir", backups + "/whole"] + arguments)
        XCTAssertEqual(renew.status, 0, describe(renew))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: backups).sorted(), ["whole"], "partial backups are cleared")
        let files = try filePaths(backups + "/whole")
        XCTAssertTrue(files.contains("apiserver.key") && files.contains("etcd/peer.key") && files.contains("admin.conf"), "\(files.sorted())")
    }

    /// A CA key whose private scalar is damaged still matches its certificate; renew refuses it before signing
    /// anything, in one line, and changes nothing.
    func testADamagedCAKeyIsRefusedBeforeAnythingIsSigned() throws {
        let node = try makeKubeadmNode("hostile-key")
        let keyPath = node.pki + "/ca.key"
        // Flip a byte of the EC private scalar (after SEC1's `INTEGER 1, OCTET STRING 32`); the public point stays.
        let damage = try run(try requireTool("python3", install: "install python3"), ["-c", """
            import base64, sys
            lines = open(sys.argv[1]).read().splitlines()
            der = bytearray(base64.b64decode("".join(lines[1:-1])))
            der[der.find(bytes([2, 1, 1, 4, 32])) + 5] ^= 0x5A
            body = base64.b64encode(bytes(der)).decode()
            chunks = [body[i:i + 64] for i in range(0, len(body), 64)]
            open(sys.argv[1], "w").write("\\n".join([lines[0]] + chunks + [lines[-1]]) + "\\n")
            """, keyPath])
        XCTAssertEqual(damage.status, 0, describe(damage))
        let before = try snapshot(node.root)
        let renew = try pkictl(["renew", "all"] + node.pathArguments + ["--db", node.root + "/inventory.db"])
        XCTAssertEqual(renew.status, 1, describe(renew))
        XCTAssertEqual(renew.stderr, "Error: \(keyPath): the private key is damaged (its secret part does not produce its public part); restore it from a backup\n")
        var after = try snapshot(node.root)
        after.removeValue(forKey: "inventory.db")
        XCTAssertEqual(after, before)
    }

    /// Keys are never written through a symbolic link planted where pkictl makes its own directory.
    func testKeysAreNeverWrittenThroughASymlinkedDirectory() throws {
        let node = try makeKubeadmNode("hostile-link")
        let elsewhere = try makeTemporaryDirectory("hostile-link-target")
        XCTAssertEqual(symlink(elsewhere, node.kubernetesDir + "/pki-backup"), 0)
        let before = try snapshot(node.pki)
        let renew = try pkictl(["renew", "all"] + node.pathArguments + ["--db", node.root + "/inventory.db"])
        XCTAssertEqual(renew.status, 1, describe(renew))
        XCTAssertEqual(renew.stderr, "Error: \(node.kubernetesDir)/pki-backup is a symbolic link; pkictl writes keys only into a real directory: remove the link or choose another --backup-dir\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere), [])
        XCTAssertEqual(try snapshot(node.pki), before)

        let out = try makeTemporaryDirectory("hostile-etcd")
        XCTAssertEqual(symlink(elsewhere, out + "/etcd-a"), 0)
        let etcd = try pkictl(["etcd-certs", "--members", "etcd-a=127.0.0.1", "--out", out, "--encryption-algorithm", "ECDSA-P256"])
        XCTAssertEqual(etcd.status, 1, describe(etcd))
        XCTAssertEqual(etcd.stderr, "Error: \(out)/etcd-a is a symbolic link; pkictl writes keys only into a real directory: remove the link or choose another --out directory\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere), [])
    }

    /// A command line pkictl cannot use is one line and exit 1, naming the option and the value.
    func testArgumentErrorsAreOneLineNamingTheOptionAndValue() throws {
        for (arguments, message) in [
            (["renew", "all", "--lock-timeout", "-5m"], "Error: The value '-5m' is invalid for '--lock-timeout <duration>': not a duration such as 0s, 20s or 1m"),
            (["check-expiration", "--expiring-within", "-1d"], "Error: The value '-1d' is invalid for '--expiring-within <duration>': not a positive duration such as 90s, 20m, 720h or 30d"),
            (["history", "--since", "soon"], "Error: The value 'soon' is invalid for '--since <duration>': not a positive duration such as 90s, 20m, 720h or 30d"),
            (["check-expiration", "-o", "wide"], "Error: The value 'wide' is invalid for '-o <format>': unknown output format \"wide\""),
        ] {
            let result = try pkictl(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(describe(result))")
            XCTAssertTrue(result.stderr.hasPrefix(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }

    /// A few hundred bytes of nested aliases, handed to every command that reads YAML, is one line and exit 1 at
    /// once, with nothing written: kubeadm config (init), kubeconfig (check-expiration), upload manifest
    /// (download-certs) and pkid's own config file.
    func testAliasBombsAreRefusedAtOnceByEveryReader() throws {
        let node = try makeKubeadmNode("hostile-alias")
        let bomb = node.root + "/bomb.yaml"
        try ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n" + (0..<9).map { level in
            let name = String(UnicodeScalar(UInt8(97 + level)))
            let items = level == 0 ? Array(repeating: "lol", count: 9) : Array(repeating: "*" + String(UnicodeScalar(UInt8(96 + level))), count: 9)
            return "\(name): &\(name) [\(items.joined(separator: ","))]\n"
        }.joined()).write(toFile: bomb, atomically: true, encoding: .utf8)
        let before = try snapshot(node.pki)

        let fresh = try makeTemporaryDirectory("hostile-alias-init")
        let initRun = try pkictl(["init", "--config", bomb, "--cert-dir", fresh + "/pki", "--kubeconfig-dir", fresh], timeout: 10)
        XCTAssertEqual(initRun.status, 1, describe(initRun))
        XCTAssertTrue(initRun.stderr.hasPrefix("Error: config file \(bomb): line 4, column 8: YAML alias *a refused"), initRun.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: fresh), [])

        try FileManager.default.removeItem(atPath: node.kubernetesDir + "/scheduler.conf")
        try FileManager.default.copyItem(atPath: bomb, toPath: node.kubernetesDir + "/scheduler.conf")
        let check = try pkictl(["check-expiration"] + node.pathArguments, timeout: 10)
        XCTAssertTrue(check.stderr.contains("kubeconfig \(node.kubernetesDir)/scheduler.conf: line 4, column 8: YAML alias *a refused"), describe(check))

        let download = try run(try pkictlPath(), ["download-certs", "--input", bomb, "--certificate-key-file", bomb] + node.pathArguments,
                               timeout: 10)
        XCTAssertEqual(download.status, 1, describe(download))
        XCTAssertEqual(download.stderr.split(separator: "\n").count, 1, download.stderr)

        let daemon = try run(try pkidPath(), ["--config-file", bomb, "--once"] + node.pathArguments, timeout: 10)
        XCTAssertEqual(daemon.status, 2, describe(daemon))
        XCTAssertTrue(daemon.stderr.contains("pkid config file \(bomb): line 4, column 8: YAML alias *a refused"), daemon.stderr)

        XCTAssertEqual(try snapshot(node.pki), before)
    }
}
