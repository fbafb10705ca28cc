import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// Runs the real `pkictl` and checks everything it writes with the `openssl` command-line tool.
final class OpenSSLInteropTests: EndToEndTestCase {

    // MARK: Full PKI, per key algorithm

    func testRSA2048PKIPassesOpenSSLChecks() throws {
        try checkFullPKI(.rsa2048)
    }

    func testECDSAP256PKIPassesOpenSSLChecks() throws {
        try checkFullPKI(.ecdsaP256)
    }

    func testECDSAP384PKIPassesOpenSSLChecks() throws {
        try checkFullPKI(.ecdsaP384)
    }

    private func checkFullPKI(_ algorithm: KeyAlgorithmExpectation) throws {
        let root = try makeTemporaryDirectory(algorithm.flag)
        let result = try initPKI(root: root, algorithm: algorithm.flag)
        XCTAssertTrue(result.stdout.contains("[certs] Generating \"ca\" certificate and key"), "init output: \(result.stdout)")
        XCTAssertTrue(result.stdout.contains("[kubeconfig] Writing \"admin.conf\" kubeconfig file"), "init output: \(result.stdout)")

        try assertFileSet(root, PKILayout.initFiles, "\(algorithm.flag): files after init")
        try assertNoHiddenEntries(root)
        try checkChains(root, algorithm)
        try checkKubeconfigs(root, algorithm)
        try checkKeys(root, algorithm)
        try checkModes(root)
        try checkSignatureAlgorithms(root, algorithm)
        try checkCAExtensions(root)
        try checkValidity(root)

        // A second run with the same flags reuses everything, byte for byte.
        let before = try snapshot(root)
        let again = try initPKI(root: root, algorithm: algorithm.flag)
        XCTAssertTrue(again.stdout.contains("Using existing ca certificate authority"), "\(algorithm.flag) second init: \(again.stdout)")
        try assertUnchanged(before, root, "\(algorithm.flag) second init with the same flags")
    }

    private func checkChains(_ root: String, _ algorithm: KeyAlgorithmExpectation) throws {
        let pki = root + "/pki"
        let tag = algorithm.flag
        try assertVerifies(ca: "\(pki)/ca.crt", "\(pki)/apiserver.crt", purpose: "sslserver",
                           hostname: "kubernetes.default.svc.cluster.local", ip: "10.96.0.1", tag)
        for hostname in ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "node1"] {
            try assertVerifies(ca: "\(pki)/ca.crt", "\(pki)/apiserver.crt", purpose: "sslserver", hostname: hostname, tag)
        }
        try assertVerifies(ca: "\(pki)/ca.crt", "\(pki)/apiserver.crt", purpose: "sslserver", ip: "127.0.0.1", tag)
        try assertVerifies(ca: "\(pki)/ca.crt", "\(pki)/apiserver-kubelet-client.crt", purpose: "sslclient", tag)
        try assertVerifies(ca: "\(pki)/front-proxy-ca.crt", "\(pki)/front-proxy-client.crt", purpose: "sslclient", tag)
        try assertVerifies(ca: "\(pki)/etcd/ca.crt", "\(pki)/etcd/healthcheck-client.crt", purpose: "sslclient", tag)
        try assertVerifies(ca: "\(pki)/etcd/ca.crt", "\(pki)/apiserver-etcd-client.crt", purpose: "sslclient", tag)
        for name in ["etcd/server", "etcd/peer"] {
            for purpose in ["sslserver", "sslclient"] {
                try assertVerifies(ca: "\(pki)/etcd/ca.crt", "\(pki)/\(name).crt", purpose: purpose, hostname: "localhost", ip: "127.0.0.1", tag)
            }
            try assertVerifies(ca: "\(pki)/etcd/ca.crt", "\(pki)/\(name).crt", purpose: "sslserver", hostname: "node1", ip: "::1", tag)
        }

        // Negative checks: wrong CA, wrong purpose, a name the cert does not carry.
        try assertDoesNotVerify(ca: "\(pki)/front-proxy-ca.crt", "\(pki)/apiserver.crt", purpose: "sslserver", tag)
        try assertDoesNotVerify(ca: "\(pki)/etcd/ca.crt", "\(pki)/apiserver.crt", purpose: "sslserver", tag)
        try assertDoesNotVerify(ca: "\(pki)/ca.crt", "\(pki)/apiserver-etcd-client.crt", purpose: "sslclient", tag)
        try assertDoesNotVerify(ca: "\(pki)/ca.crt", "\(pki)/front-proxy-client.crt", purpose: "sslclient", tag)
        try assertDoesNotVerify(ca: "\(pki)/ca.crt", "\(pki)/apiserver.crt", purpose: "sslclient", tag)
        try assertDoesNotVerify(ca: "\(pki)/ca.crt", "\(pki)/apiserver-kubelet-client.crt", purpose: "sslserver", tag)
        try assertDoesNotVerify(ca: "\(pki)/ca.crt", "\(pki)/apiserver.crt", purpose: "sslserver", hostname: "not-a-san.example.com", tag)
        try assertDoesNotVerify(ca: "\(pki)/ca.crt", "\(pki)/apiserver.crt", purpose: "sslserver", ip: "10.96.0.2", tag)
    }

    private func checkKubeconfigs(_ root: String, _ algorithm: KeyAlgorithmExpectation) throws {
        let ca = try Data(contentsOf: URL(fileURLWithPath: root + "/pki/ca.crt"))
        let expectedSubjects = [
            "admin.conf": "CN=kubernetes-admin,O=kubeadm:cluster-admins",
            "super-admin.conf": "CN=kubernetes-super-admin,O=system:masters",
            "kubelet.conf": "CN=system:node:node1,O=system:nodes",
            "controller-manager.conf": "CN=system:kube-controller-manager",
            "scheduler.conf": "CN=system:kube-scheduler",
        ]
        let scratch = try makeTemporaryDirectory("kubeconfig-parts")
        for name in PKILayout.kubeconfigNames {
            let tag = "\(algorithm.flag) \(name)"
            let text = try readString(root + "/" + name)
            XCTAssertEqual(kubeconfigValue(text, "server"), "https://127.0.0.1:6443", "\(tag): server")

            let caData = try XCTUnwrap(decodedKubeconfigValue(text, "certificate-authority-data"), "\(tag): certificate-authority-data missing or not base64")
            XCTAssertEqual(caData, ca, "\(tag): certificate-authority-data is not byte-identical to pki/ca.crt")

            let certificate = try XCTUnwrap(decodedKubeconfigValue(text, "client-certificate-data"), "\(tag): client-certificate-data missing or not base64")
            let key = try XCTUnwrap(decodedKubeconfigValue(text, "client-key-data"), "\(tag): client-key-data missing or not base64")
            let certificatePath = scratch + "/" + name + ".crt", keyPath = scratch + "/" + name + ".key"
            try certificate.write(to: URL(fileURLWithPath: certificatePath))
            try key.write(to: URL(fileURLWithPath: keyPath))

            try assertVerifies(ca: root + "/pki/ca.crt", certificatePath, purpose: "sslclient", tag)
            try assertDoesNotVerify(ca: root + "/pki/ca.crt", certificatePath, purpose: "sslserver", tag)
            XCTAssertEqual(try subject(certificatePath), expectedSubjects[name], "\(tag): client certificate subject")
            XCTAssertTrue(String(decoding: key, as: UTF8.self).hasPrefix(algorithm.privateKeyHeader + "\n"),
                          "\(tag): client-key-data should start with \(algorithm.privateKeyHeader)")
            try assertKeyMatchesCertificate(key: keyPath, certificate: certificatePath, tag)
        }
    }

    private func checkKeys(_ root: String, _ algorithm: KeyAlgorithmExpectation) throws {
        let pki = root + "/pki"
        let openssl = try openssl()
        for name in PKILayout.caNames + PKILayout.leafNames + ["sa"] {
            let keyPath = "\(pki)/\(name).key"
            let tag = "\(algorithm.flag) \(name).key"
            XCTAssertTrue(try readString(keyPath).hasPrefix(algorithm.privateKeyHeader + "\n"), "\(tag) should start with \(algorithm.privateKeyHeader)")
            let check = try run(openssl, ["pkey", "-check", "-noout", "-in", keyPath])
            XCTAssertEqual(check.status, 0, "\(tag): openssl pkey -check: \(describe(check))")
            let text = try run(openssl, ["pkey", "-noout", "-text", "-in", keyPath])
            XCTAssertTrue(text.stdout.contains("(\(algorithm.bits) bit"), "\(tag): expected a \(algorithm.bits)-bit key: \(text.stdout.prefix(200))")
            if name != "sa" {
                try assertKeyMatchesCertificate(key: keyPath, certificate: "\(pki)/\(name).crt", tag)
            }
        }
        let publicKey = try readString(pki + "/sa.pub")
        XCTAssertTrue(publicKey.hasPrefix("-----BEGIN PUBLIC KEY-----\n"), "sa.pub should be a PKIX public key: \(publicKey.prefix(40))")
        let derived = try run(openssl, ["pkey", "-pubout", "-in", pki + "/sa.key"])
        XCTAssertEqual(derived.status, 0, describe(derived))
        XCTAssertEqual(derived.stdout, publicKey, "\(algorithm.flag): sa.pub is not the public half of sa.key")
    }

    private func checkModes(_ root: String) throws {
        for path in try filePaths(root).sorted() {
            let mode = try permissions(root + "/" + path)
            if path.hasSuffix(".key") || path.hasSuffix(".conf") || path.hasSuffix("sa.pub") {
                // sa.pub too: kubeadm writes it 0600.
                XCTAssertEqual(mode, 0o600, "\(path) mode is \(String(mode, radix: 8)), want 600")
            } else if path.hasSuffix(".crt") {
                XCTAssertEqual(mode, 0o644, "\(path) mode is \(String(mode, radix: 8)), want 644")
            }
        }
    }

    private func checkSignatureAlgorithms(_ root: String, _ algorithm: KeyAlgorithmExpectation) throws {
        let openssl = try openssl()
        for name in PKILayout.caNames + PKILayout.leafNames {
            let path = "\(root)/pki/\(name).crt"
            let text = try run(openssl, ["x509", "-noout", "-text", "-in", path])
            XCTAssertEqual(text.status, 0, describe(text))
            let signatures = text.stdout.split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("Signature Algorithm:") }
                .map { $0.dropFirst("Signature Algorithm:".count).trimmingCharacters(in: .whitespaces) }
            XCTAssertFalse(signatures.isEmpty, "\(name).crt: no Signature Algorithm in openssl output")
            for signature in signatures {
                XCTAssertEqual(signature, algorithm.signatureAlgorithm, "\(algorithm.flag) \(name).crt signature algorithm")
            }
            XCTAssertTrue(text.stdout.contains("Public-Key: (\(algorithm.bits) bit)"), "\(algorithm.flag) \(name).crt: expected a \(algorithm.bits)-bit public key")
        }
    }

    private func checkCAExtensions(_ root: String) throws {
        let commonNames = ["ca": "kubernetes", "front-proxy-ca": "front-proxy-ca", "etcd/ca": "etcd-ca"]
        for name in PKILayout.caNames {
            let path = "\(root)/pki/\(name).crt"
            let extensions = try certificateExtensions(path)
            let basic = try XCTUnwrap(extensions["X509v3 Basic Constraints"], "\(name).crt has no basicConstraints")
            XCTAssertTrue(basic.critical, "\(name).crt basicConstraints must be critical")
            XCTAssertEqual(basic.value, "CA:TRUE", "\(name).crt basicConstraints")
            let usage = try XCTUnwrap(extensions["X509v3 Key Usage"], "\(name).crt has no keyUsage")
            XCTAssertTrue(usage.critical, "\(name).crt keyUsage must be critical")
            XCTAssertTrue(usage.value.contains("Certificate Sign"), "\(name).crt keyUsage: \(usage.value)")
            let sans = try XCTUnwrap(extensions["X509v3 Subject Alternative Name"], "\(name).crt has no subjectAltName")
            XCTAssertEqual(sans.value, "DNS:\(commonNames[name] ?? "?")", "\(name).crt subjectAltName")
            XCTAssertEqual(try subject(path), "CN=\(commonNames[name] ?? "?")", "\(name).crt subject")
        }
        for name in PKILayout.leafNames {
            let extensions = try certificateExtensions("\(root)/pki/\(name).crt")
            if let basic = extensions["X509v3 Basic Constraints"] {
                XCTAssertEqual(basic.value, "CA:FALSE", "\(name).crt must not be a CA")
            }
        }
    }

    private func checkValidity(_ root: String) throws {
        let caLifetime: TimeInterval = 87_600 * 3600 + 300
        let leafLifetime: TimeInterval = 8_760 * 3600 + 300
        for name in PKILayout.caNames {
            let (notBefore, notAfter) = try validity("\(root)/pki/\(name).crt")
            XCTAssertEqual(notAfter.timeIntervalSince(notBefore), caLifetime, accuracy: 2, "\(name).crt lifetime")
        }
        for name in PKILayout.leafNames {
            let (notBefore, notAfter) = try validity("\(root)/pki/\(name).crt")
            XCTAssertEqual(notAfter.timeIntervalSince(notBefore), leafLifetime, accuracy: 2, "\(name).crt lifetime")
        }
        let scratch = try makeTemporaryDirectory("validity")
        for name in PKILayout.kubeconfigNames {
            let data = try XCTUnwrap(decodedKubeconfigValue(try readString(root + "/" + name), "client-certificate-data"))
            let path = scratch + "/" + name + ".crt"
            try data.write(to: URL(fileURLWithPath: path))
            let (notBefore, notAfter) = try validity(path)
            XCTAssertEqual(notAfter.timeIntervalSince(notBefore), leafLifetime, accuracy: 2, "\(name) client certificate lifetime")
        }
    }

    // MARK: SANs and endpoints

    func testControlPlaneEndpointAndExtraSANsReachCertificateAndKubeconfigs() throws {
        let root = try makeTemporaryDirectory("endpoint")
        try initPKI(root: root, algorithm: "ECDSA-P256", extra: [
            "--control-plane-endpoint", "cp.example.com:7443",
            "--apiserver-cert-extra-sans", "api.example.com,10.1.2.3",
        ])
        let pki = root + "/pki"
        for hostname in ["cp.example.com", "api.example.com", "kubernetes.default.svc.cluster.local"] {
            try assertVerifies(ca: pki + "/ca.crt", pki + "/apiserver.crt", purpose: "sslserver", hostname: hostname, "endpoint")
        }
        for ip in ["10.1.2.3", "127.0.0.1", "10.96.0.1"] {
            try assertVerifies(ca: pki + "/ca.crt", pki + "/apiserver.crt", purpose: "sslserver", ip: ip, "endpoint")
        }
        try assertDoesNotVerify(ca: pki + "/ca.crt", pki + "/apiserver.crt", purpose: "sslserver", hostname: "other.example.com", "endpoint")

        // kubeadm: admin, super-admin and kubelet go through the control-plane endpoint,
        // controller-manager and scheduler talk to the local API server.
        let expectedServers = [
            "admin.conf": "https://cp.example.com:7443",
            "super-admin.conf": "https://cp.example.com:7443",
            "kubelet.conf": "https://cp.example.com:7443",
            "controller-manager.conf": "https://127.0.0.1:6443",
            "scheduler.conf": "https://127.0.0.1:6443",
        ]
        for (name, server) in expectedServers {
            XCTAssertEqual(kubeconfigValue(try readString(root + "/" + name), "server"), server, "\(name) server")
        }
    }

    // MARK: ca-hash

    func testCAHashMatchesOpenSSLPipelineAndVerifiesPins() throws {
        let root = try makeTemporaryDirectory("ca-hash")
        try initPKI(root: root, algorithm: "ECDSA-P256")
        let pki = root + "/pki"
        let expected = try opensslPin(pki + "/ca.crt")

        let hash = try pkictl(["ca-hash", "--cert-dir", pki])
        XCTAssertEqual(hash.status, 0, describe(hash))
        XCTAssertEqual(hash.stdout.trimmingCharacters(in: .whitespacesAndNewlines), expected, "ca-hash output")
        XCTAssertNotNil(hash.stdout.trimmingCharacters(in: .whitespacesAndNewlines).range(of: "^sha256:[0-9a-f]{64}$", options: .regularExpression),
                        "ca-hash output format: \(hash.stdout)")

        let match = try pkictl(["ca-hash", "--cert-dir", pki, "--verify", expected])
        XCTAssertEqual(match.status, 0, "matching pin: \(describe(match))")

        let otherPin = "sha256:" + String(repeating: "0", count: 64)
        let mismatch = try pkictl(["ca-hash", "--cert-dir", pki, "--verify", otherPin])
        XCTAssertEqual(mismatch.status, 1, "non-matching pin: \(describe(mismatch))")

        let either = try pkictl(["ca-hash", "--cert-dir", pki, "--verify", otherPin, "--verify", expected])
        XCTAssertEqual(either.status, 0, "one of two pins matching: \(describe(either))")

        let upper = "sha256:" + expected.dropFirst("sha256:".count).uppercased()
        let upperMatch = try pkictl(["ca-hash", "--cert-dir", pki, "--verify", upper])
        XCTAssertEqual(upperMatch.status, 0, "kubeadm accepts upper-case hex: \(describe(upperMatch))")

        let shortEven = try pkictl(["ca-hash", "--cert-dir", pki, "--verify", "sha256:abcd"])
        XCTAssertNotEqual(shortEven.status, 0, describe(shortEven))
        XCTAssertTrue(shortEven.stderr.contains("32 byte"), "short pin error should mention 32 bytes: \(shortEven.stderr)")

        let noFormat = try pkictl(["ca-hash", "--cert-dir", pki, "--verify", String(expected.dropFirst("sha256:".count))])
        XCTAssertNotEqual(noFormat.status, 0, "pin without format: \(describe(noFormat))")
        XCTAssertTrue(noFormat.stderr.hasPrefix("Error: "), "pin without format: \(noFormat.stderr)")
    }

    /// kubeadm checks the decoded length before decoding, so `sha256:abc` gets the "32 byte" message.
    func testCAHashRejectsMalformedPinWithKubeadmMessage() throws {
        let root = try makeTemporaryDirectory("ca-hash-bad")
        let initCA = try pkictl(["init-ca", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--encryption-algorithm", "ECDSA-P256"])
        XCTAssertEqual(initCA.status, 0, describe(initCA))
        let bad = try pkictl(["ca-hash", "--cert-dir", root + "/pki", "--verify", "sha256:abc"])
        XCTAssertNotEqual(bad.status, 0, describe(bad))
        XCTAssertTrue(bad.stderr.hasPrefix("Error: "), "stderr: \(bad.stderr)")
        XCTAssertTrue(bad.stderr.contains("32 byte"), "malformed pin error should mention \"32 byte\" like kubeadm: \(bad.stderr)")
    }

    func testCAHashPrintsOnePinPerCertificateInBundle() throws {
        let root = try makeTemporaryDirectory("bundle")
        let initCA = try pkictl(["init-ca", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--encryption-algorithm", "ECDSA-P256"])
        XCTAssertEqual(initCA.status, 0, describe(initCA))
        let pki = root + "/pki"
        let bundle = root + "/bundle.crt"
        var bundleData = try Data(contentsOf: URL(fileURLWithPath: pki + "/ca.crt"))
        bundleData.append(try Data(contentsOf: URL(fileURLWithPath: pki + "/front-proxy-ca.crt")))
        try bundleData.write(to: URL(fileURLWithPath: bundle))

        let expected = [try opensslPin(pki + "/ca.crt"), try opensslPin(pki + "/front-proxy-ca.crt")]
        let hash = try pkictl(["ca-hash", "--cert-dir", pki, "--ca-cert", bundle])
        XCTAssertEqual(hash.status, 0, describe(hash))
        XCTAssertEqual(hash.stdout.split(separator: "\n").map(String.init), expected)
        let second = try pkictl(["ca-hash", "--cert-dir", pki, "--ca-cert", bundle, "--verify", expected[1]])
        XCTAssertEqual(second.status, 0, "pin of the second certificate in the bundle: \(describe(second))")
    }

    // MARK: Re-runs and refusals

    func testSecondInitIsIdempotent() throws {
        let root = try makeTemporaryDirectory("idempotent")
        try initPKI(root: root, algorithm: "ECDSA-P256")
        let before = try snapshot(root)
        let again = try initPKI(root: root, algorithm: "ECDSA-P256")
        XCTAssertTrue(again.stdout.contains("Using existing ca certificate authority"), "second init output: \(again.stdout)")
        XCTAssertFalse(again.stdout.contains("Generating"), "second init generated something: \(again.stdout)")
        try assertUnchanged(before, root, "second init with the same flags")
        try assertNoHiddenEntries(root)
    }

    func testInitAfterInitCAReusesTheCAs() throws {
        let root = try makeTemporaryDirectory("init-ca")
        let initCA = try pkictl(["init-ca", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--encryption-algorithm", "ECDSA-P256"])
        XCTAssertEqual(initCA.status, 0, describe(initCA))
        try assertFileSet(root, PKILayout.initCAFiles, "init-ca should write only the CAs and sa")
        try assertNoHiddenEntries(root)
        let cas = try snapshot(root)

        try initPKI(root: root, algorithm: "ECDSA-P256")
        let after = try snapshot(root)
        for (path, entry) in cas {
            XCTAssertEqual(after[path], entry, "init after init-ca changed \(path)")
        }
        try assertFileSet(root, PKILayout.initFiles, "files after init-ca then init")
        try assertVerifies(ca: root + "/pki/ca.crt", root + "/pki/apiserver.crt", purpose: "sslserver", hostname: "kubernetes", "init after init-ca")
    }

    func testInvalidInputWritesNothing() throws {
        let badFlags: [(label: String, arguments: (String) -> [String])] = [
            ("bad advertise address", { self.initArguments(root: $0, algorithm: "ECDSA-P256", advertiseAddress: "10.0.0.300") }),
            ("bad service CIDR", { self.initArguments(root: $0, algorithm: "ECDSA-P256", extra: ["--service-cidr", "nonsense"]) }),
            ("unsupported algorithm", { self.initArguments(root: $0, algorithm: "RSA-1024") }),
        ]
        let empty = try makeTemporaryDirectory("bad-empty")
        let populated = try makeTemporaryDirectory("bad-populated")
        try initPKI(root: populated, algorithm: "ECDSA-P256")
        // Give init something it would write, so "nothing written" is a real claim.
        try FileManager.default.removeItem(atPath: populated + "/scheduler.conf")

        for root in [empty, populated] {
            let before = try snapshot(root)
            for (label, arguments) in badFlags {
                let result = try pkictl(arguments(root))
                XCTAssertNotEqual(result.status, 0, "\(label) should fail: \(describe(result))")
                try assertOneLineError(result, label)
                try assertUnchanged(before, root, label)
            }
        }
    }

    func testChangedAdvertiseAddressFailsAndChangesNothing() throws {
        let root = try makeTemporaryDirectory("moved")
        try initPKI(root: root, algorithm: "ECDSA-P256")
        // Give init something it would write, so "nothing written" is a real claim.
        try FileManager.default.removeItem(atPath: root + "/scheduler.conf")
        let before = try snapshot(root)
        let result = try pkictl(initArguments(root: root, algorithm: "ECDSA-P256", advertiseAddress: "10.20.30.40"))
        XCTAssertNotEqual(result.status, 0, "apiserver.crt does not cover 10.20.30.40: \(describe(result))")
        try assertOneLineError(result, "changed advertise address")
        XCTAssertTrue(result.stderr.contains("apiserver.crt"), "error should name apiserver.crt: \(result.stderr)")
        try assertUnchanged(before, root, "changed advertise address")
    }

    func testCorruptedKeyFailsNamingItAndChangesNothing() throws {
        let root = try makeTemporaryDirectory("corrupt")
        try initPKI(root: root, algorithm: "ECDSA-P256")
        try Data("this is not a PEM private key\n".utf8).write(to: URL(fileURLWithPath: root + "/pki/apiserver.key"))
        // Missing files init would otherwise (re)create.
        try FileManager.default.removeItem(atPath: root + "/admin.conf")
        try FileManager.default.removeItem(atPath: root + "/pki/front-proxy-client.crt")
        try FileManager.default.removeItem(atPath: root + "/pki/front-proxy-client.key")
        let before = try snapshot(root)
        let result = try pkictl(initArguments(root: root, algorithm: "ECDSA-P256"))
        XCTAssertNotEqual(result.status, 0, "corrupted apiserver.key: \(describe(result))")
        try assertOneLineError(result, "corrupted apiserver.key")
        XCTAssertTrue(result.stderr.contains("apiserver.key"), "error should name apiserver.key: \(result.stderr)")
        try assertUnchanged(before, root, "corrupted apiserver.key")
    }

    func testUnreadableKubeconfigFailsAndWritesNothing() throws {
        // Everything else is missing, so init has plenty to write; the garbage admin.conf must stop it first.
        let root = try makeTemporaryDirectory("bad-kubeconfig")
        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: root + "/admin.conf"))
        let before = try snapshot(root)
        let result = try pkictl(initArguments(root: root, algorithm: "ECDSA-P256"))
        XCTAssertNotEqual(result.status, 0, "unreadable admin.conf: \(describe(result))")
        try assertOneLineError(result, "unreadable admin.conf")
        XCTAssertTrue(result.stderr.contains("admin.conf"), "error should name admin.conf: \(result.stderr)")
        try assertUnchanged(before, root, "unreadable admin.conf")
    }

    // MARK: Assertions

    private func verifyArguments(ca: String, _ certificate: String, purpose: String, hostname: String?, ip: String?) -> [String] {
        var arguments = ["verify", "-CAfile", ca, "-purpose", purpose]
        if let hostname { arguments += ["-verify_hostname", hostname] }
        if let ip { arguments += ["-verify_ip", ip] }
        return arguments + [certificate]
    }

    private func assertVerifies(ca: String, _ certificate: String, purpose: String, hostname: String? = nil, ip: String? = nil,
                                _ tag: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let arguments = verifyArguments(ca: ca, certificate, purpose: purpose, hostname: hostname, ip: ip)
        let result = try run(try openssl(), arguments)
        XCTAssertTrue(result.status == 0 && result.stdout.contains(": OK"),
                      "\(tag): openssl \(arguments.joined(separator: " ")) should succeed: \(describe(result))", file: file, line: line)
    }

    private func assertDoesNotVerify(ca: String, _ certificate: String, purpose: String, hostname: String? = nil, ip: String? = nil,
                                     _ tag: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let arguments = verifyArguments(ca: ca, certificate, purpose: purpose, hostname: hostname, ip: ip)
        let result = try run(try openssl(), arguments)
        XCTAssertNotEqual(result.status, 0, "\(tag): openssl \(arguments.joined(separator: " ")) should fail: \(describe(result))", file: file, line: line)
    }

    private func assertKeyMatchesCertificate(key: String, certificate: String, _ tag: String,
                                             file: StaticString = #filePath, line: UInt = #line) throws {
        let openssl = try openssl()
        let fromKey = try run(openssl, ["pkey", "-pubout", "-in", key])
        let fromCertificate = try run(openssl, ["x509", "-noout", "-pubkey", "-in", certificate])
        XCTAssertEqual(fromKey.status, 0, "\(tag): \(describe(fromKey))", file: file, line: line)
        XCTAssertEqual(fromCertificate.status, 0, "\(tag): \(describe(fromCertificate))", file: file, line: line)
        XCTAssertEqual(fromKey.stdout, fromCertificate.stdout, "\(tag): key does not belong to the certificate", file: file, line: line)
    }

    private func assertOneLineError(_ result: CommandResult, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, "\(label): want exactly one stderr line: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("Error: "), "\(label): stderr should start with \"Error: \": \(result.stderr)", file: file, line: line)
    }

    // MARK: openssl helpers

    /// `openssl x509 -noout -subject -nameopt RFC2253` without the `subject=` prefix.
    private func subject(_ certificate: String) throws -> String {
        let result = try run(try openssl(), ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", certificate])
        XCTAssertEqual(result.status, 0, describe(result))
        var text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("subject=") { text = String(text.dropFirst("subject=".count)) }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// `openssl x509 -noout -ext basicConstraints,keyUsage,subjectAltName`, by extension name.
    private func certificateExtensions(_ certificate: String) throws -> [String: (critical: Bool, value: String)] {
        let result = try run(try openssl(), ["x509", "-noout", "-ext", "basicConstraints,keyUsage,subjectAltName", "-in", certificate])
        XCTAssertEqual(result.status, 0, describe(result))
        var extensions: [String: (critical: Bool, value: String)] = [:]
        var current: (name: String, critical: Bool, values: [String])?
        func flush() {
            if let current { extensions[current.name] = (current.critical, current.values.joined(separator: " ")) }
        }
        for rawLine in result.stdout.split(separator: "\n") {
            if rawLine.first == " " || rawLine.first == "\t" {
                current?.values.append(rawLine.trimmingCharacters(in: .whitespaces))
                continue
            }
            flush()
            let parts = rawLine.split(separator: ":", maxSplits: 1)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let critical = parts.count > 1 && parts[1].trimmingCharacters(in: .whitespaces) == "critical"
            current = (name, critical, [])
        }
        flush()
        return extensions
    }

    /// notBefore and notAfter from `openssl x509 -noout -startdate -enddate`.
    private func validity(_ certificate: String, file: StaticString = #filePath, line: UInt = #line) throws -> (Date, Date) {
        let result = try run(try openssl(), ["x509", "-noout", "-startdate", "-enddate", "-in", certificate])
        XCTAssertEqual(result.status, 0, describe(result), file: file, line: line)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy zzz"
        var dates: [String: Date] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            // openssl pads single-digit days with a space ("Nov  1 ..."); collapse runs of spaces.
            let value = parts[1].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            dates[String(parts[0])] = formatter.date(from: value)
        }
        let notBefore = try XCTUnwrap(dates["notBefore"], "unparsable notBefore in \(result.stdout)", file: file, line: line)
        let notAfter = try XCTUnwrap(dates["notAfter"], "unparsable notAfter in \(result.stdout)", file: file, line: line)
        return (notBefore, notAfter)
    }

    /// kubeadm's discovery pin computed by the openssl pipeline from the kubeadm docs.
    private func opensslPin(_ certificate: String) throws -> String {
        let openssl = try openssl()
        let script = "'\(openssl)' x509 -pubkey -noout -in '\(certificate)' | '\(openssl)' pkey -pubin -outform DER | '\(openssl)' dgst -sha256"
        let result = try shell(script)
        XCTAssertEqual(result.status, 0, describe(result))
        let hex = try XCTUnwrap(result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).last.map(String.init))
        XCTAssertEqual(hex.count, 64, "openssl dgst output: \(result.stdout)")
        return "sha256:" + hex.lowercased()
    }
}

// MARK: Kubeconfig scanning

/// The scalar value of the first `key:` line in a kubeconfig (simple line scanning; values are single-line).
func kubeconfigValue(_ text: String, _ key: String) -> String? {
    for line in text.split(separator: "\n") {
        var trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("- ") { trimmed = String(trimmed.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        guard trimmed.hasPrefix(key + ":") else { continue }
        var value = trimmed.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
            value = String(value.dropFirst().dropLast())
        }
        return value
    }
    return nil
}

/// The base64-decoded value of the first `key:` line.
func decodedKubeconfigValue(_ text: String, _ key: String) -> Data? {
    guard let value = kubeconfigValue(text, key) else { return nil }
    return Data(base64Encoded: value)
}
