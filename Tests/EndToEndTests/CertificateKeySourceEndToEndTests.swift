import Foundation
import XCTest

/// The certificate key of upload-certs and download-certs from a file, a pipe, standard input, the environment or the
/// kubeadm config, with the built pkictl on a kubeadm node: never on a command line, never shown.
final class CertificateKeySourceEndToEndTests: EndToEndTestCase {
    private let variable = "PKICTL_CERTIFICATE_KEY"

    private func keyFile(_ key: String, at path: String, mode: mode_t = 0o600) throws -> String {
        try writeString(key + "\n", to: path)
        XCTAssertEqual(chmod(path, mode), 0)
        return path
    }

    /// The node's kubeadm config with `certificateKey` in its InitConfiguration (or a JoinConfiguration holding it).
    private func configWithKey(_ node: KubeadmNode, _ key: String, join: Bool = false, mode: mode_t = 0o600) throws -> String {
        let path = node.root + (join ? "/join.yaml" : "/init-with-key.yaml")
        let text = join
            ? "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ncontrolPlane:\n  certificateKey: \"\(key)\"\n"
            : try readString(node.config).replacingOccurrences(of: "kind: InitConfiguration\n", with: "kind: InitConfiguration\ncertificateKey: \"\(key)\"\n")
        try writeString(text, to: path)
        XCTAssertEqual(chmod(path, mode), 0)
        return path
    }

    private func assertKeyNeverShown(_ result: CommandResult, _ key: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse((result.stdout + result.stderr).lowercased().contains(key.lowercased()), "\(context): the key was shown", file: file, line: line)
    }

    func testTheKeyComesFromAFilePipeStandardInputEnvironmentOrConfigAndIsNeverShown() throws {
        let node = try makeKubeadmNode()
        let key = try newCertificateKey()
        let file = try keyFile(key, at: node.root + "/certificate-key")
        let binary = try pkictlPath()

        // upload-certs with the key in the InitConfiguration, as `kubeadm init --config` takes it.
        let manifest = node.root + "/kubeadm-certs.yaml"
        let upload = try pkictlSucceeds(["upload-certs", "--config", try configWithKey(node, key), "--cert-dir", node.pki, "--output", manifest])
        assertKeyNeverShown(upload, key, "upload from the config")
        XCTAssertFalse(try readString(manifest).contains(key))

        let downloads: [(String, () throws -> CommandResult)] = [
            ("key file", { try self.pkictl(["download-certs", "--cert-dir", $0, "--certificate-key-file", file, "--input", manifest]) }),
            ("standard input", { try self.shell("cat '\(file)' | '\(binary)' download-certs --cert-dir '\($0)' --certificate-key-file - --input '\(manifest)'") }),
            ("pipe", { try self.run("/bin/bash", ["-c", "'\(binary)' download-certs --cert-dir '\($0)' --certificate-key-file <(cat '\(file)') --input '\(manifest)'"]) }),
            ("environment", { try self.run(binary, ["download-certs", "--cert-dir", $0, "--input", manifest], environment: [self.variable: key]) }),
            ("JoinConfiguration", { try self.pkictl(["download-certs", "--config", try self.configWithKey(node, key, join: true), "--cert-dir", $0, "--input", manifest]) }),
        ].map { label, download in (label, { try download(try self.makeTemporaryDirectory("joining") + "/pki") }) }
        for (label, download) in downloads {
            let result = try download()
            XCTAssertEqual(result.status, 0, "\(label): \(describe(result))")
            XCTAssertTrue(result.stdout.contains("Cluster CA hash"), "\(label): \(describe(result))")
            assertKeyNeverShown(result, key, label)
        }
    }

    func testEveryBadKeySourceIsOneErrorLineWithNothingWritten() throws {
        let node = try makeKubeadmNode()
        let key = try newCertificateKey()
        let manifest = node.root + "/kubeadm-certs.yaml"
        try pkictlSucceeds(["upload-certs", "--cert-dir", node.pki, "--certificate-key-file", try keyFile(key, at: node.root + "/key"), "--output", manifest])
        let scratch = try makeTemporaryDirectory("sources")
        let binary = try pkictlPath()
        let shared = try keyFile(key, at: scratch + "/shared", mode: 0o644)
        let good = try keyFile(key, at: scratch + "/good")
        let short = try keyFile(String(key.dropLast(2)), at: scratch + "/short")
        let openConfig = try configWithKey(node, key, mode: 0o644)
        var cases: [(String, [String], [String: String]?, String)] = [
            ("key file readable by others", ["--certificate-key-file", shared], nil, "run `chmod 600 \(shared)`"),
            ("config with a key, readable by others", ["--config", openConfig], nil, "\(openConfig) holds a certificate key but group or others may access it"),
            ("two sources", ["--certificate-key-file", good], [variable: key], "given by both --certificate-key-file \(good) and $\(variable)"),
            ("argument and config", ["--certificate-key", key, "--config", try configWithKey(node, key, join: true)], nil, "given by both --certificate-key and JoinConfiguration controlPlane.certificateKey"),
            ("short key in the file", ["--certificate-key-file", short], nil, "the certificate key from --certificate-key-file \(short) is not 64 hexadecimal characters"),
            ("empty environment variable", [], [variable: ""], "the certificate key from $\(variable) is not 64 hexadecimal characters"),
            ("empty standard input", ["--certificate-key-file", "-"], nil, "from standard input (--certificate-key-file -) is not 64"),
            ("a directory as key file", ["--certificate-key-file", scratch], nil, "\(scratch) is a directory"),
            ("a key file that does not exist", ["--certificate-key-file", scratch + "/absent"], nil, "\(scratch)/absent does not exist"),
        ]
        if geteuid() == 0 {
            let foreign = try keyFile(key, at: scratch + "/foreign")
            XCTAssertEqual(chown(foreign, 65534, 65534), 0)
            cases.append(("key file owned by another user", ["--certificate-key-file", foreign], nil, "\(foreign) holds the certificate key but is owned by uid 65534"))
        }
        for (label, arguments, environment, expected) in cases {
            let target = try makeTemporaryDirectory("target")
            let download = try run(binary, ["download-certs", "--cert-dir", target + "/pki", "--input", manifest] + arguments, environment: environment)
            assertRefused(download, expected, key: key, "download-certs, \(label)")
            XCTAssertTrue(try snapshot(target).isEmpty, "\(label): something was written")

            let upload = try run(binary, ["upload-certs", "--cert-dir", node.pki, "--output", target + "/m.yaml"] + arguments, environment: environment)
            assertRefused(upload, expected, key: key, "upload-certs, \(label)")
            XCTAssertEqual(upload.stdout, "", "\(label): no key made or printed")
            XCTAssertTrue(try snapshot(target).isEmpty, "\(label): something was written")
        }
        let none = try pkictl(["download-certs", "--cert-dir", scratch + "/pki", "--input", manifest])
        assertRefused(none, "no certificate key given", key: nil, "download without a key")
    }
}
