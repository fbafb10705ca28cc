import Foundation
import PKICrypto
import PKIStore
import XCTest

/// `pkictl sa-key rotate` through its three phases on a kubeadm node, with crashes at every rename.
final class ServiceAccountKeyRotationTests: EndToEndTestCase {
    /// The public keys in sa.pub, as openssl prints each one's DER hash.
    private func trusted(_ node: KubeadmNode) throws -> [String] {
        let text = try readString(node.pki + "/sa.pub")
        let end = "-----END PUBLIC KEY-----"
        return try text.components(separatedBy: end).dropLast().map { block in
            let key = try PublicKey(pem: Data((block + end + "\n").utf8), source: "sa.pub")
            return try key.pin().description
        }
    }

    private func pin(ofKey path: String) throws -> String {
        try PrivateKey(pem: try XCTUnwrap(FileManager.default.contents(atPath: path)), source: path).publicKey().pin().description
    }

    private func rotate(_ node: KubeadmNode, _ extra: [String] = []) throws -> CommandResult {
        try pkictl(["sa-key", "rotate"] + extra + node.pathArguments)
    }

    func testThreePhasesTrustBothKeysWhileTheSigningKeyChanges() throws {
        let node = try makeKubeadmNode("sa-rotate")
        let old = try pin(ofKey: node.pki + "/sa.key")
        XCTAssertEqual(try rotate(node, ["--status"]).stdout, "service-account key rotation: idle; next: --phase prepare\n")

        let outOfOrder = try rotate(node, ["--phase", "finish"])
        XCTAssertEqual(outOfOrder.status, 1, describe(outOfOrder))
        XCTAssertEqual(outOfOrder.stderr, "Error: the service-account key rotation is ready for --phase prepare, not finish; see pkictl sa-key rotate --status\n")

        let prepared = try rotate(node)
        XCTAssertEqual(prepared.status, 0, describe(prepared))
        XCTAssertTrue(prepared.stdout.contains("Phase prepare done. Restart kube-apiserver"), prepared.stdout)
        let staged = try pin(ofKey: node.pki + "/sa-next.key")
        XCTAssertEqual(try trusted(node), [old, staged])
        XCTAssertEqual(try pin(ofKey: node.pki + "/sa.key"), old, "still signing with the old key")

        let switched = try rotate(node, ["--phase", "switch"])
        XCTAssertEqual(switched.status, 0, describe(switched))
        XCTAssertTrue(switched.stdout.contains("Restart kube-apiserver, kube-controller-manager"), switched.stdout)
        XCTAssertEqual(try pin(ofKey: node.pki + "/sa.key"), staged)
        XCTAssertEqual(try pin(ofKey: node.pki + "/sa-previous.key"), old)
        XCTAssertFalse(FileManager.default.fileExists(atPath: node.pki + "/sa-next.key"))
        XCTAssertEqual(try trusted(node), [old, staged])
        XCTAssertEqual(try permissions(node.pki + "/sa.key"), 0o600)

        // A token signed by either key verifies against sa.pub: openssl signs with each, checks with each key of sa.pub.
        let message = node.root + "/token"
        try "header.payload".write(toFile: message, atomically: true, encoding: .utf8)
        for key in ["sa.key", "sa-previous.key"] {
            let signature = node.root + "/\(key).sig"
            let signed = try run(try openssl(), ["dgst", "-sha256", "-sign", node.pki + "/" + key, "-out", signature, message])
            XCTAssertEqual(signed.status, 0, describe(signed))
            var verified = false
            let text = try readString(node.pki + "/sa.pub")
            for (index, block) in text.components(separatedBy: "-----END PUBLIC KEY-----").dropLast().enumerated() {
                let pub = node.root + "/pub\(index).pem"
                try (block + "-----END PUBLIC KEY-----\n").write(toFile: pub, atomically: true, encoding: .utf8)
                if try run(try openssl(), ["dgst", "-sha256", "-verify", pub, "-signature", signature, message]).status == 0 { verified = true }
            }
            XCTAssertTrue(verified, "a signature by \(key) verifies against sa.pub")
        }

        let finished = try rotate(node, ["--phase", "finish"])
        XCTAssertEqual(finished.status, 0, describe(finished))
        XCTAssertEqual(try trusted(node), [staged])
        XCTAssertFalse(FileManager.default.fileExists(atPath: node.pki + "/sa-previous.key"))
        XCTAssertEqual(try rotate(node, ["--status"]).stdout, "service-account key rotation: idle; next: --phase prepare\n")
        let backups = try FileManager.default.contentsOfDirectory(atPath: node.kubernetesDir + "/pki-backup")
        XCTAssertTrue(try backups.contains { try pin(ofKey: node.kubernetesDir + "/pki-backup/\($0)/sa.key") == old }, "the old key is kept in a backup")
    }

    /// Killed at any rename of any phase, the files are a state --status names, and the next run completes it.
    func testKillAtEveryRenameOfEveryPhaseIsCompletedByTheNextRun() throws {
        let strace = try requireTool("strace", install: "install strace (Debian package strace)")
        for phase in ["prepare", "switch", "finish"] {
            var n = 1
            while true {
                let node = try makeKubeadmNode("sa-rotate-kill")
                for earlier in ["prepare", "switch", "finish"].prefix(while: { $0 != phase }) {
                    XCTAssertEqual(try rotate(node, ["--phase", earlier, "--backup-dir", node.root + "/backup-\(earlier)"]).status, 0)
                }
                let killed = try run(strace, ["-f", "-qq", "-o", "/dev/null", "-e", "inject=rename,renameat,renameat2:signal=SIGKILL:when=\(n)",
                                              try pkictlPath(), "sa-key", "rotate", "--phase", phase, "--backup-dir", node.root + "/backup",
                                              "--db", node.root + "/inventory.db"] + node.pathArguments)
                if killed.status == 0 { break }
                let status = try rotate(node, ["--status"])
                XCTAssertEqual(status.status, 0, "\(phase), kill at rename #\(n): \(describe(status))")
                let again = try rotate(node, ["--backup-dir", node.root + "/backup-again"])
                XCTAssertEqual(again.status, 0, "\(phase), rerun after a kill at rename #\(n): \(describe(again))")
                // A kill stops the phase before its last rename, so the phase is still the next one, and a rerun does it.
                XCTAssertTrue(status.stdout.hasSuffix("next: --phase \(phase)\n"), "\(phase) #\(n): \(status.stdout)")
                XCTAssertTrue(again.stdout.contains("Phase \(phase) done"), "\(phase) #\(n): \(again.stdout)")
                n += 1
                XCTAssertLessThan(n, 20, "\(phase) never finished without a kill")
                if n >= 20 { break }
            }
        }
    }
}
