import Foundation
import XCTest

/// `ca-hash --join-command` with the built pkictl: endpoints need their port, the key comes from the same sources as
/// upload-certs, and an unreadable CA is never answered with advice about the CA's key.
final class CAHashEndToEndTests: EndToEndTestCase {
    private let token = "abcdef.0123456789abcdef"

    func testAJoinEndpointWithoutAPortIsOneErrorLine() throws {
        let node = try makeKubeadmNode()
        for (endpoint, usable) in [("10.0.0.10", "10.0.0.10:6443"), ("cp.example.com", "cp.example.com:6443"), ("fd00::10", "[fd00::10]:6443")] {
            let result = try pkictl(["ca-hash", "--cert-dir", node.pki, "--join-command", endpoint, "--token", token])
            assertRefused(result, "join endpoint \"\(endpoint)\" has no port; pass host:port, e.g. \(usable)", key: nil, endpoint)
            XCTAssertEqual(result.stdout, "")
        }
        let bad = try pkictl(["ca-hash", "--cert-dir", node.pki, "--join-command", "10.0.0.10:http", "--token", token])
        assertRefused(bad, "is not host:port", key: nil, "named port")
    }

    func testAControlPlaneJoinTakesTheKeyFromTheSameSourcesAsUploadCerts() throws {
        let node = try makeKubeadmNode()
        let key = try newCertificateKey()
        let binary = try pkictlPath()
        let keyFile = node.root + "/key"
        try writeString(key.uppercased() + "\n", to: keyFile)
        XCTAssertEqual(chmod(keyFile, 0o600), 0)
        let join = ["ca-hash", "--cert-dir", node.pki, "--join-command", "10.0.0.10:6443", "--token", token]
        let controlPlane = "--control-plane --certificate-key \(key)"

        // A key in the environment does not turn a worker's join line into a control-plane one.
        let worker = try run(binary, join, environment: ["PKICTL_CERTIFICATE_KEY": key])
        XCTAssertEqual(worker.status, 0, describe(worker))
        XCTAssertFalse(worker.stdout.contains("--control-plane"), worker.stdout)
        XCTAssertFalse(worker.stdout.contains(key))

        let fromEnvironment = try run(binary, join + ["--control-plane"], environment: ["PKICTL_CERTIFICATE_KEY": key])
        XCTAssertTrue(fromEnvironment.stdout.hasSuffix(controlPlane + "\n"), describe(fromEnvironment))
        let fromFile = try pkictlSucceeds(join + ["--certificate-key-file", keyFile])
        XCTAssertTrue(fromFile.stdout.hasSuffix(controlPlane + "\n"), "printed in kubeadm's lowercase: \(describe(fromFile))")
        let fromStandardInput = try shell("cat '\(keyFile)' | '\(binary)' \(join.map { "'\($0)'" }.joined(separator: " ")) --control-plane --certificate-key-file -")
        XCTAssertTrue(fromStandardInput.stdout.hasSuffix(controlPlane + "\n"), describe(fromStandardInput))

        let missing = try pkictl(join + ["--control-plane"])
        assertRefused(missing, "--control-plane needs the certificate key", key: nil, "no key")
        let twice = try run(binary, join + ["--control-plane", "--certificate-key-file", keyFile], environment: ["PKICTL_CERTIFICATE_KEY": key])
        assertRefused(twice, "given by both", key: key, "two sources")
    }

    func testAnUnreadableCAIsNeverAnsweredWithAdviceAboutItsKey() throws {
        let node = try makeKubeadmNode()
        let caKey = try XCTUnwrap(FileManager.default.contents(atPath: node.pki + "/ca.key"))
        for (label, script) in [("garbage", "echo garbage > ca.crt"), ("truncated", "head -c 200 ca.crt > t && mv t ca.crt"), ("empty", ": > ca.crt"),
                                ("the key in place of the certificate", "cp ca.key ca.crt"), ("a directory", "rm ca.crt && mkdir ca.crt")] {
            let root = try makeTemporaryDirectory("ca-hash")
            XCTAssertEqual(try shell("cp -a '\(node.pki)' '\(root)/pki' && cd '\(root)/pki' && \(script)").status, 0)
            let result = try pkictl(["ca-hash", "--cert-dir", root + "/pki"])
            assertRefused(result, "\(root)/pki/ca.crt", key: nil, label)
            XCTAssertTrue(result.stderr.contains("pass the cluster CA certificate with --ca-cert FILE or --cert-dir DIR"), "\(label): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("key"), "\(label): \(result.stderr)")
            XCTAssertEqual(FileManager.default.contents(atPath: root + "/pki/ca.key"), caKey, "\(label): the CA key is untouched")
        }
    }
}
