import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// upload-certs / download-certs in file mode with the built pkictl.
final class UploadCertsEndToEndTests: EndToEndTestCase {
    /// A source node with the cluster CAs, a key and the manifest upload-certs wrote.
    private func uploaded(extra: [String] = []) throws -> (certDir: String, key: String, manifest: String) {
        let root = try makeTemporaryDirectory("source")
        try pkictlSucceeds(["init-ca", "--cert-dir", root + "/pki"])
        let key = try newCertificateKey()
        let manifest = root + "/kubeadm-certs.yaml"
        let result = try pkictlSucceeds(["upload-certs", "--cert-dir", root + "/pki", "--certificate-key", key, "--output", manifest] + extra)
        XCTAssertFalse((result.stdout + result.stderr).contains(key), "a given key is never printed")
        return (root + "/pki", key, manifest)
    }

    func testCertificateKeyPrintsFresh64HexKeys() throws {
        let first = try newCertificateKey(), second = try newCertificateKey()
        for key in [first, second] {
            XCTAssertNotNil(key.range(of: "^[0-9a-f]{64}$", options: .regularExpression), key)
        }
        XCTAssertNotEqual(first, second)
    }

    func testUploadThenDownloadIsByteIdenticalWithKubeadmModes() throws {
        let (certDir, key, manifest) = try uploaded()
        XCTAssertEqual(try permissions(manifest), 0o600)
        let text = try readString(manifest)
        XCTAssertFalse(text.contains(key))
        for expected in ["name: kubeadm-certs", "type: bootstrap.kubernetes.io/token", "kind: Role", "kind: RoleBinding",
                         "name: kubeadm:kubeadm-certs", "system:bootstrappers:kubeadm:default-node-token", "etcd-ca.key:"] {
            XCTAssertTrue(text.contains(expected), "manifest lacks \(expected)")
        }
        let description = try XCTUnwrap(yamlValue("description", in: text))
        XCTAssertEqual(Data(base64Encoded: description).map { String(decoding: $0, as: UTF8.self) }, "Proxy for managing TTL for the kubeadm-certs secret")

        let target = try makeTemporaryDirectory("target")
        let result = try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--certificate-key", key, "--input", manifest])
        try assertSameFiles(UploadLayout.stackedFiles, from: certDir, in: target + "/pki", "download")
        try assertFileSet(target, Set(UploadLayout.stackedFiles.map { "pki/" + $0 }), "download")
        try assertNoHiddenEntries(target)
        XCTAssertFalse((result.stdout + result.stderr).contains(key))

        let pin = try pkictlSucceeds(["ca-hash", "--cert-dir", certDir]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(result.stdout.contains("--discovery-token-ca-cert-hash): \(pin)"), describe(result))

        // Downloading again finds identical files and changes nothing.
        let before = try snapshot(target)
        let again = try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--certificate-key", key, "--input", manifest])
        XCTAssertTrue(again.stdout.contains("8 file(s) already identical"), describe(again))
        try assertUnchanged(before, target, "second download")
    }

    func testAGeneratedKeyIsPrintedOnceOnStderrWhenTheManifestGoesToStdout() throws {
        let root = try makeTemporaryDirectory("source")
        try pkictlSucceeds(["init-ca", "--cert-dir", root + "/pki"])
        let result = try pkictlSucceeds(["upload-certs", "--cert-dir", root + "/pki"])
        XCTAssertTrue(result.stdout.hasPrefix("---\n"), "stdout is the manifest alone")
        let keys = result.stderr.split(separator: "\n").filter { $0.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil }
        XCTAssertEqual(keys.count, 1, describe(result))
        let key = try XCTUnwrap(keys.first.map(String.init))
        XCTAssertFalse(result.stdout.contains(key))
        XCTAssertTrue(result.stderr.contains("Please note that the certificate-key gives access to cluster sensitive data, keep it secret!"))
        XCTAssertTrue(result.stderr.contains("uploaded-certs will be deleted in two hours"))

        let manifest = root + "/from-stdout.yaml"
        try writeString(result.stdout, to: manifest)
        let target = try makeTemporaryDirectory("target")
        try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--certificate-key", key, "--input", manifest])
        try assertSameFiles(UploadLayout.stackedFiles, from: root + "/pki", in: target + "/pki", "download of a stdout manifest")

        // With --output the key goes to stdout, the manifest to the file.
        let toFile = try pkictlSucceeds(["upload-certs", "--cert-dir", root + "/pki", "--output", root + "/m.yaml"])
        XCTAssertEqual(toFile.stdout.split(separator: "\n").filter { $0.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil }.count, 1, describe(toFile))
    }

    func testExternalEtcdFilesRoundTripToTheConfiguredPaths() throws {
        let openssl = try openssl()
        let root = try makeTemporaryDirectory("external")
        // The external etcd cluster's PKI, made by the openssl CLI as an operator would.
        let etcd = root + "/etcd-pki"
        try FileManager.default.createDirectory(atPath: etcd, withIntermediateDirectories: true)
        let make = try shell("""
        set -e; cd '\(etcd)'
        '\(openssl)' req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem -subj /CN=etcd-ca -days 30 2>/dev/null
        '\(openssl)' req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client-key.pem -out client.csr -subj /CN=kube-apiserver-etcd-client 2>/dev/null
        '\(openssl)' x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client.pem -days 30 2>/dev/null
        """)
        XCTAssertEqual(make.status, 0, describe(make))
        try writeExternalEtcdConfig(root + "/source.yaml", directory: etcd)
        try pkictlSucceeds(["init-ca", "--config", root + "/source.yaml", "--cert-dir", root + "/pki"])
        let key = try newCertificateKey()
        try pkictlSucceeds(["upload-certs", "--config", root + "/source.yaml", "--cert-dir", root + "/pki",
                            "--certificate-key", key, "--output", root + "/m.yaml"])
        let text = try readString(root + "/m.yaml")
        for entry in ["external-etcd-ca.crt:", "external-etcd.crt:", "external-etcd.key:"] { XCTAssertTrue(text.contains(entry), entry) }
        XCTAssertNil(yamlValue("etcd-ca.crt", in: text), "no stacked etcd CA with external etcd")

        // With the joining node's config: its etcd.external paths.
        let node = try makeTemporaryDirectory("node")
        try writeExternalEtcdConfig(node + "/join.yaml", directory: node + "/etcd")
        try pkictlSucceeds(["download-certs", "--config", node + "/join.yaml", "--cert-dir", node + "/pki",
                            "--certificate-key", key, "--input", root + "/m.yaml"])
        try assertSameFiles(UploadLayout.externalFiles, from: root + "/pki", in: node + "/pki", "external download")
        for name in ["ca.pem", "client.pem", "client-key.pem"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(node)/etcd/\(name)"), FileManager.default.contents(atPath: "\(etcd)/\(name)"), name)
            XCTAssertEqual(try permissions("\(node)/etcd/\(name)"), name == "client-key.pem" ? 0o600 : 0o644, name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: node + "/pki/etcd"), "no stacked etcd CA written")

        // Without a config: the cert dir, under kubeadm's entry names.
        let bare = try makeTemporaryDirectory("bare")
        try pkictlSucceeds(["download-certs", "--cert-dir", bare + "/pki", "--certificate-key", key, "--input", root + "/m.yaml"])
        XCTAssertEqual(FileManager.default.contents(atPath: bare + "/pki/external-etcd.key"), FileManager.default.contents(atPath: etcd + "/client-key.pem"))
        XCTAssertEqual(try permissions(bare + "/pki/external-etcd-ca.crt"), 0o644)
    }

    func testEveryBadInputIsOneErrorWithNothingWritten() throws {
        let (_, key, manifest) = try uploaded()
        let text = try readString(manifest)
        let otherKey = try newCertificateKey()
        let scratch = try makeTemporaryDirectory("inputs")

        func variant(_ name: String, _ content: String) throws -> String {
            let path = "\(scratch)/\(name).yaml"
            try writeString(content, to: path)
            return path
        }
        let sealed = try XCTUnwrap(yamlValue("front-proxy-ca.crt", in: text).flatMap { Data(base64Encoded: $0) })
        var tampered = sealed
        tampered[tampered.count / 2] ^= 0x01
        let expiration = Data("2020-01-01T00:00:00Z".utf8).base64EncodedString()
        let cases: [(String, [String], String, String)] = [
            ("wrong key", ["--certificate-key", otherKey, "--input", manifest], "the certificate key does not decrypt", otherKey),
            ("malformed key", ["--certificate-key", String(key.dropLast(2)), "--input", manifest], "not 64 hexadecimal characters", String(key.dropLast(2))),
            ("non-hex key", ["--certificate-key", "g" + key.dropFirst(), "--input", manifest], "not 64 hexadecimal characters", String(key.dropFirst())),
            ("tampered ciphertext", ["--certificate-key", key, "--input",
                                     try variant("tampered", replacingYAMLValue("front-proxy-ca.crt", in: text, with: tampered.base64EncodedString()))],
             "entry front-proxy-ca.crt failed authentication", key),
            ("missing entry", ["--certificate-key", key, "--input", try variant("missing", replacingYAMLValue("etcd-ca.key", in: text, with: nil))],
             "has no entry etcd-ca.key", key),
            ("expired bundle", ["--certificate-key", key, "--input", try variant("expired", replacingYAMLValue("expiration", in: text, with: expiration))],
             "expired at 2020-01-01T00:00:00Z", key),
            ("not kubeadm-certs", ["--certificate-key", key, "--input",
                                   try variant("renamed", text.replacingOccurrences(of: "name: kubeadm-certs", with: "name: registry-credentials"))],
             "holds no Secret kube-system/kubeadm-certs", key),
            ("no manifest at all", ["--certificate-key", key, "--input", scratch + "/absent.yaml"], "does not exist", key),
        ]
        for (label, arguments, expected, secret) in cases {
            let target = try makeTemporaryDirectory("target")
            let result = try pkictl(["download-certs", "--cert-dir", target + "/pki"] + arguments)
            assertRefused(result, expected, key: secret, label)
            XCTAssertTrue(try snapshot(target).isEmpty, "\(label): something was written")
        }

        let upload = try pkictl(["upload-certs", "--cert-dir", scratch, "--certificate-key", "00" + key])
        assertRefused(upload, "not 64 hexadecimal characters", key: key, "upload with a malformed key")
        let noCA = try pkictl(["upload-certs", "--cert-dir", scratch + "/empty", "--certificate-key", key])
        assertRefused(noCA, "no cluster CA at", key: key, "upload without a CA")
    }

    func testExistingDifferentFilesAreReplacedOnlyWithForce() throws {
        let (certDir, key, manifest) = try uploaded()
        let target = try makeTemporaryDirectory("target")
        try pkictlSucceeds(["init-ca", "--cert-dir", target + "/pki"])
        let before = try snapshot(target)
        let refused = try pkictl(["download-certs", "--cert-dir", target + "/pki", "--certificate-key", key, "--input", manifest])
        assertRefused(refused, "pass --force to replace them", key: key, "different existing CAs")
        XCTAssertTrue(refused.stderr.contains(target + "/pki/ca.key"), describe(refused))
        try assertUnchanged(before, target, "refused download")

        try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--certificate-key", key, "--input", manifest, "--force"])
        try assertSameFiles(UploadLayout.stackedFiles, from: certDir, in: target + "/pki", "forced download")
        try assertNoHiddenEntries(target)
    }

    func testABundleWithoutItsTokenIsAcceptedWithAWarning() throws {
        let (certDir, key, manifest) = try uploaded()
        let documents = try readString(manifest).components(separatedBy: "---\n")
        let alone = try XCTUnwrap(documents.first { $0.contains("name: kubeadm-certs") })
        let path = try makeTemporaryDirectory("input") + "/certs-only.yaml"
        try writeString(alone, to: path)
        let target = try makeTemporaryDirectory("target")
        let result = try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--certificate-key", key, "--input", path])
        XCTAssertTrue(result.stderr.contains("age cannot be checked"), describe(result))
        try assertSameFiles(UploadLayout.stackedFiles, from: certDir, in: target + "/pki", "token-less download")
    }
}
