import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// pkictl's kubeadm-certs against an independent AES-GCM implementation (Python's `cryptography`) using kubeadm's layout.
final class UploadCertsInteropTests: EndToEndTestCase {
    func testPythonCryptographyDecryptsPkictlsBundle() throws {
        let python = try python()
        let root = try makeTemporaryDirectory("source")
        try pkictlSucceeds(["init-ca", "--cert-dir", root + "/pki"])
        let key = try newCertificateKey()
        try pkictlSucceeds(["upload-certs", "--cert-dir", root + "/pki", "--certificate-key", key, "--output", root + "/m.yaml"])
        let out = try makeTemporaryDirectory("decrypted")
        let result = try run(python, [try resourceScript("kubeadm_bundle.py"), "decrypt", root + "/m.yaml", key, out])
        XCTAssertEqual(result.status, 0, describe(result))
        for name in UploadLayout.stackedFiles {
            let dataKey = name.replacingOccurrences(of: "/", with: "-")
            XCTAssertEqual(FileManager.default.contents(atPath: "\(out)/\(dataKey)"), FileManager.default.contents(atPath: "\(root)/pki/\(name)"), name)
        }
        let wrong = try run(python, [try resourceScript("kubeadm_bundle.py"), "decrypt", root + "/m.yaml", try newCertificateKey(), out])
        XCTAssertNotEqual(wrong.status, 0, "Python must reject pkictl's bundle under another key")
    }

    func testPkictlInstallsABundleMadeByPythonCryptography() throws {
        let python = try python()
        let script = try resourceScript("kubeadm_bundle.py")
        let root = try makeTemporaryDirectory("source")
        try pkictlSucceeds(["init-ca", "--cert-dir", root + "/pki"])
        let key = try newCertificateKey()
        let made = try run(python, [script, "build", root + "/pki", key, root + "/python.yaml"])
        XCTAssertEqual(made.status, 0, describe(made))
        XCTAssertTrue(try readString(root + "/python.yaml").contains("ownerReferences"))

        let target = try makeTemporaryDirectory("target")
        let result = try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--certificate-key", key, "--input", root + "/python.yaml"])
        XCTAssertFalse(result.stderr.contains("age cannot be checked"), "the ownerReference links the token: \(describe(result))")
        try assertSameFiles(UploadLayout.stackedFiles, from: root + "/pki", in: target + "/pki", "Python bundle")

        // The same bundle with its token expired an hour ago: the ownerReference link is honoured.
        let expired = try run(python, [script, "build", root + "/pki", key, root + "/expired.yaml", "--expired"])
        XCTAssertEqual(expired.status, 0, describe(expired))
        let empty = try makeTemporaryDirectory("empty")
        let refused = try pkictl(["download-certs", "--cert-dir", empty + "/pki", "--certificate-key", key, "--input", root + "/expired.yaml"])
        assertRefused(refused, "expired at", key: key, "expired Python bundle")
        XCTAssertTrue(try snapshot(empty).isEmpty)
    }
}
