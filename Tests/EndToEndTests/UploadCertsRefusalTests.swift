import Foundation
import XCTest

/// upload-certs on a kubeadm node whose shared files are broken in the ways found in the field: one error line naming
/// the file, a non-zero exit, no manifest, no key made or printed, and with --kubeconfig no request to the API server.
final class UploadCertsRefusalTests: EndToEndTestCase {
    /// How a case breaks a copy of the node's cert dir: a shell script run in it, and what the error must name.
    private struct Breakage {
        let label: String
        let script: String
        let expected: String
    }

    /// A CA certificate and key made by Python's `cryptography`, valid from `start` to `end` days from now.
    private func pythonCA(_ directory: String, base: String, start: Int, end: Int) throws {
        let made = try run(try python(), ["-c", """
        import datetime, sys
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now + datetime.timedelta(days=int(sys.argv[2])))
                .not_valid_after(now + datetime.timedelta(days=int(sys.argv[3])))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        open(sys.argv[1] + ".crt", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
        open(sys.argv[1] + ".key", "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                                 serialization.NoEncryption()))
        """, directory + "/" + base, String(start), String(end)])
        XCTAssertEqual(made.status, 0, describe(made))
    }

    func testEveryBrokenSharedFileIsRefusedWithNothingWrittenOrPrinted() throws {
        let node = try makeKubeadmNode()
        let openssl = try openssl()
        let cases = [
            Breakage(label: "empty CA key", script: ": > ca.key", expected: "ca.key is empty"),
            Breakage(label: "empty sa.pub", script: ": > sa.pub", expected: "sa.pub is empty"),
            Breakage(label: "truncated CA certificate", script: "head -c 300 ca.crt > t && mv t ca.crt", expected: "ca.crt is not a readable PEM certificate"),
            Breakage(label: "garbage etcd CA key", script: "echo garbage > etcd/ca.key", expected: "etcd/ca.key is not a readable PEM private key"),
            Breakage(label: "50 MiB sparse CA key", script: "truncate -s 50M ca.key", expected: "ca.key is 50 MiB, more than any private key file needs"),
            Breakage(label: "50 MiB front-proxy CA certificate", script: "dd if=/dev/zero of=front-proxy-ca.crt bs=1M count=50 2>/dev/null",
                     expected: "front-proxy-ca.crt is 50 MiB"),
            Breakage(label: "cluster CA key of the front-proxy CA", script: "cp front-proxy-ca.key ca.key", expected: "ca.key does not match"),
            Breakage(label: "front-proxy CA certificate of the etcd CA", script: "cp etcd/ca.crt front-proxy-ca.crt", expected: "front-proxy-ca.key does not match"),
            Breakage(label: "certificate and key exchanged", script: "mv ca.crt t && mv ca.key ca.crt && mv t ca.key", expected: "ca.crt is not a readable PEM certificate"),
            Breakage(label: "sa.pub of another key",
                     script: "'\(openssl)' ecparam -name prime256v1 -genkey -noout | '\(openssl)' pkey -pubout -out sa.pub", expected: "sa.key does not match"),
            Breakage(label: "sa.pub missing", script: "rm sa.pub", expected: "sa.pub does not exist but"),
            Breakage(label: "sa.key missing", script: "rm sa.key", expected: "sa.key does not exist but"),
            Breakage(label: "service-account pair missing", script: "rm sa.key sa.pub", expected: "sa.key does not exist"),
            Breakage(label: "a certificate in place of sa.key", script: "cp apiserver.crt sa.key", expected: "sa.key is not a readable PEM private key"),
            Breakage(label: "etcd CA key without its certificate", script: "rm etcd/ca.crt", expected: "etcd/ca.crt does not exist but"),
            Breakage(label: "front-proxy CA missing", script: "rm front-proxy-ca.crt front-proxy-ca.key", expected: "front-proxy-ca.crt does not exist"),
            Breakage(label: "passphrase-protected CA key",
                     script: "'\(openssl)' pkey -in ca.key -aes256 -passout pass:secret -out t && mv t ca.key", expected: "ca.key is a passphrase-protected private key"),
            Breakage(label: "a leaf in place of the front-proxy CA", script: "cp front-proxy-client.crt front-proxy-ca.crt && cp front-proxy-client.key front-proxy-ca.key",
                     expected: "front-proxy-ca.crt is not a self-signed CA certificate"),
            Breakage(label: "an intermediate CA in place of the etcd CA", script: """
                '\(openssl)' req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=etcd-ca -keyout etcd/ca.key -out t.csr 2>/dev/null
                printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign\\n' > t.ext
                '\(openssl)' x509 -req -in t.csr -CA ca.crt -CAkey ca.key -set_serial 7 -days 30 -extfile t.ext -out etcd/ca.crt 2>/dev/null
                rm t.csr t.ext
                """, expected: "etcd/ca.crt is not a self-signed CA certificate"),
            Breakage(label: "a FIFO in place of the CA key", script: "rm ca.key && mkfifo ca.key", expected: "ca.key is a FIFO, not a regular file"),
            Breakage(label: "the CA key linked to /dev/zero", script: "rm ca.key && ln -s /dev/zero ca.key", expected: "ca.key is a character device"),
            Breakage(label: "a dangling symlink in place of sa.key", script: "rm sa.key && ln -s /nonexistent/sa.key sa.key",
                     expected: "sa.key is a symbolic link to /nonexistent/sa.key, which does not exist"),
            Breakage(label: "a directory in place of the CA certificate", script: "rm ca.crt && mkdir ca.crt", expected: "ca.crt is a directory"),
            Breakage(label: "CA bundles over the Secret limit together", script: """
                copies=$((409600 / $(wc -c < apiserver.crt)))
                for f in ca.crt front-proxy-ca.crt etcd/ca.crt; do for i in $(seq $copies); do cat apiserver.crt >> $f; done; done
                """, expected: "more than the 1 MiB Kubernetes stores in one Secret"),
        ]
        var fifoCases = 0
        for (index, breakage) in cases.enumerated() {
            let root = try makeTemporaryDirectory("broken")
            let pki = root + "/pki"
            let copied = try shell("cp -a '\(node.pki)' '\(pki)'")
            XCTAssertEqual(copied.status, 0, describe(copied))
            let broke = try shell("set -e; cd '\(pki)'\n" + breakage.script)
            XCTAssertEqual(broke.status, 0, "\(breakage.label): \(describe(broke))")
            if breakage.script.contains("mkfifo") { fifoCases += 1 }

            // Half the cases with a key file, half with a key pkictl would make: none is made, none printed.
            var arguments = ["upload-certs", "--config", node.config, "--cert-dir", pki, "--output", root + "/out/kubeadm-certs.yaml"]
            let key = index.isMultiple(of: 2) ? try newCertificateKey() : nil
            if let key {
                let keyFile = root + "/key"
                try writeString(key, to: keyFile)
                XCTAssertEqual(chmod(keyFile, 0o600), 0)
                arguments += ["--certificate-key-file", keyFile]
            }
            let started = Date()
            let result = try pkictl(arguments, timeout: 30)
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "\(breakage.label): refused quickly")
            assertRefused(result, breakage.expected, key: key, breakage.label)
            XCTAssertTrue(result.stderr.contains(pki + "/"), "\(breakage.label): the error names the file: \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(breakage.label): nothing printed, no key made")
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/out"), "\(breakage.label): nothing written")
        }
        XCTAssertEqual(fifoCases, 1)
    }

    func testCAsOutsideTheirValidityAreRefused() throws {
        let node = try makeKubeadmNode()
        for (label, start, end, expected) in [("expired", -400, -30, "expired at"), ("not yet valid", 30, 400, "check this node's clock")] {
            let root = try makeTemporaryDirectory("validity")
            XCTAssertEqual(try shell("cp -a '\(node.pki)' '\(root)/pki'").status, 0)
            try pythonCA(root + "/pki", base: "front-proxy-ca", start: start, end: end)
            let result = try pkictl(["upload-certs", "--cert-dir", root + "/pki", "--output", root + "/m.yaml"])
            assertRefused(result, "\(root)/pki/front-proxy-ca.crt", key: nil, label)
            XCTAssertTrue(result.stderr.contains(expected), "\(label): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/m.yaml"))
        }
    }

    func testExternalCAModeUploadsTheCertificateAloneAndTheJoiningNodeInstallsIt() throws {
        let node = try makeKubeadmNode()
        let root = try makeTemporaryDirectory("external-ca")
        XCTAssertEqual(try shell("cp -a '\(node.pki)' '\(root)/pki' && rm '\(root)/pki/ca.key' '\(root)/pki/front-proxy-ca.key'").status, 0)
        let key = try newCertificateKey()
        let keyFile = root + "/key"
        try writeString(key + "\n", to: keyFile)
        XCTAssertEqual(chmod(keyFile, 0o600), 0)
        let upload = try pkictlSucceeds(["upload-certs", "--cert-dir", root + "/pki", "--certificate-key-file", keyFile, "--output", root + "/m.yaml"])
        XCTAssertTrue(upload.stderr.contains("\(root)/pki/ca.key does not exist (external CA mode)"), describe(upload))
        let empty = try XCTUnwrap(yamlValue("ca.key", in: try readString(root + "/m.yaml")))
        XCTAssertTrue(["''", "\"\""].contains(empty), "kubeadm's empty value for a missing file, not \(empty)")

        let target = try makeTemporaryDirectory("joining")
        try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--certificate-key-file", keyFile, "--input", root + "/m.yaml"])
        try assertSameFiles(["ca.crt", "front-proxy-ca.crt", "sa.key", "sa.pub", "etcd/ca.crt", "etcd/ca.key"], from: root + "/pki", in: target + "/pki", "external CA")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + "/pki/ca.key"))
    }

    func testExternalEtcdFilesAreCheckedWhereTheConfigPointsThem() throws {
        let node = try makeKubeadmNode()
        let root = try makeTemporaryDirectory("external-etcd")
        // The etcd cluster's CA stands in as its own client pair's issuer; the paths are what the config names.
        XCTAssertEqual(try shell("mkdir '\(root)/etcd' && cp '\(node.pki)/etcd/ca.crt' '\(root)/etcd/ca.pem' && cp '\(node.pki)/apiserver-etcd-client.crt' '\(root)/etcd/client.pem'").status, 0)
        try writeExternalEtcdConfig(root + "/kubeadm.yaml", directory: root + "/etcd")
        let missing = try pkictl(["upload-certs", "--config", root + "/kubeadm.yaml", "--cert-dir", node.pki, "--output", root + "/m.yaml"])
        assertRefused(missing, "\(root)/etcd/client-key.pem (etcd.external.keyFile in --config) does not exist", key: nil, "missing etcd client key")

        XCTAssertEqual(try shell("cp '\(node.pki)/etcd/peer.key' '\(root)/etcd/client-key.pem'").status, 0)
        let mismatched = try pkictl(["upload-certs", "--config", root + "/kubeadm.yaml", "--cert-dir", node.pki, "--output", root + "/m.yaml"])
        assertRefused(mismatched, "\(root)/etcd/client-key.pem does not match \(root)/etcd/client.pem", key: nil, "mismatched etcd client pair")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/m.yaml"))
    }
}
