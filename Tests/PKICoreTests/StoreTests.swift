import Foundation
import XCTest
@testable import PKICrypto
@testable import PKINetwork
@testable import PKIStore
@testable import PKICatalogue
@testable import PKILifecycle
@testable import PKICommandLine

final class StoreTests: XCTestCase {
    private func mode(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    private func makePair(_ algorithm: KeyAlgorithm = .ecdsaP256) throws -> (Certificate, PrivateKey) {
        let key = try PrivateKey.generate(algorithm)
        return (try Certificate.selfSigned(try Fixtures.caTemplate(), key: key), key)
    }

    func testAtomicWriteSetsModeAndLeavesNoTempFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/file.key"
        try AtomicFile.write(Data("one".utf8), to: path, mode: 0o600)
        try AtomicFile.write(Data("two".utf8), to: path, mode: 0o600)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "two")
        XCTAssertEqual(try mode(path), 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["file.key"])
    }

    func testPairWriteUsesKubeadmModesAndCreatesSubdirectories() throws {
        let dir = try TemporaryDirectory()
        let pki = PKIDirectory(root: dir.path + "/pki")
        let (certificate, key) = try makePair()
        try pki.write(certificate: certificate, key: key, baseName: "etcd/ca")
        XCTAssertEqual(try mode(pki.keyPath("etcd/ca")), 0o600)
        XCTAssertEqual(try mode(pki.certificatePath("etcd/ca")), 0o644)
        XCTAssertTrue(try XCTUnwrap(pki.readKey("etcd/ca")).matches(try XCTUnwrap(pki.readCertificate("etcd/ca"))))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/pki/etcd").sorted(), ["ca.crt", "ca.key"])
    }

    func testPairWriteRefusesMismatchedKey() throws {
        let dir = try TemporaryDirectory()
        let pki = PKIDirectory(root: dir.path)
        let (certificate, _) = try makePair()
        XCTAssertThrowsError(try pki.write(certificate: certificate, key: try PrivateKey.generate(.ecdsaP256), baseName: "x"))
        XCTAssertEqual(try dir.snapshot(), [:])
    }

    /// Rebuilds each state a crash can leave a certificate/key swap in and checks that recovery ends with a
    /// matching pair (the old one before the commit point, the new one after) and no leftovers.
    func testRecoveryCompletesOrDiscardsInterruptedSwaps() throws {
        let dir = try TemporaryDirectory()
        let pki = PKIDirectory(root: dir.path)
        let (oldCert, oldKey) = try makePair()
        let (newCert, newKey) = try makePair()
        let certPath = pki.certificatePath("apiserver"), keyPath = pki.keyPath("apiserver")
        let aside = PKIDirectory.hiddenPath(certPath, suffix: PKIDirectory.asideSuffix)

        func reset() throws {
            try pki.write(certificate: oldCert, key: oldKey, baseName: "apiserver")
        }
        func stageKey() throws {
            _ = try AtomicFile.stage(try newKey.pem(), besides: keyPath, mode: 0o600, suffix: PKIDirectory.pendingSuffix)
        }
        func stageCert() throws {
            _ = try AtomicFile.stage(try newCert.pem(), besides: certPath, mode: 0o644, suffix: PKIDirectory.pendingSuffix)
        }
        func moveAside() throws { XCTAssertEqual(rename(certPath, aside), 0) }
        func moveKeyIn() throws { try AtomicFile.commit(PKIDirectory.hiddenPath(keyPath, suffix: PKIDirectory.pendingSuffix), to: keyPath) }
        func moveCertIn() throws { try AtomicFile.commit(PKIDirectory.hiddenPath(certPath, suffix: PKIDirectory.pendingSuffix), to: certPath) }
        func assertPair(_ expected: Certificate, _ label: String, line: UInt = #line) throws {
            try pki.completeInterruptedWrites()
            let cert = try XCTUnwrap(pki.readCertificate("apiserver"), label, line: line)
            let key = try XCTUnwrap(pki.readKey("apiserver"), label, line: line)
            XCTAssertTrue(cert.isSameCertificate(as: expected), label, line: line)
            XCTAssertTrue(key.matches(cert), label, line: line)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["apiserver.crt", "apiserver.key"], label, line: line)
        }

        try reset(); try stageKey()
        try assertPair(oldCert, "key staged, certificate not: before the commit point")

        try reset(); try stageKey(); try stageCert()
        try assertPair(newCert, "both staged")

        try reset(); try stageKey(); try stageCert(); try moveAside()
        try assertPair(newCert, "old certificate moved aside")

        try reset(); try stageKey(); try stageCert(); try moveAside(); try moveKeyIn()
        XCTAssertNil(try pki.readCertificate("apiserver"), "a reader sees no certificate, never a mismatched one")
        try assertPair(newCert, "new key moved in")

        try reset(); try stageKey(); try stageCert(); try moveAside(); try moveKeyIn(); try moveCertIn()
        try assertPair(newCert, "new certificate moved in, old one not yet dropped")

        try reset()
        FileManager.default.createFile(atPath: dir.path + "/.apiserver.crt" + AtomicFile.temporaryMarker + "0123456789ab", contents: Data("part".utf8))
        try assertPair(oldCert, "a partial temp file")
    }

    func testKubeconfigRendersKubeadmLayoutAndParsesBack() throws {
        let kubeconfig = Kubeconfig(clusterName: "kubernetes", server: "https://10.0.0.10:6443",
                                    certificateAuthority: Data("CA".utf8), userName: "kubernetes-admin",
                                    clientCertificate: Data("CERT".utf8), clientKey: Data("KEY".utf8))
        let text = String(decoding: kubeconfig.rendered(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: https://10.0.0.10:6443\n  name: kubernetes\n"))
        XCTAssertTrue(text.contains("current-context: kubernetes-admin@kubernetes\nkind: Config\npreferences: {}\nusers:\n- name: kubernetes-admin\n"))
        XCTAssertEqual(try Kubeconfig.parse(kubeconfig.rendered(), source: "admin.conf"), kubeconfig)
        XCTAssertThrowsError(try Kubeconfig.parse(Data("apiVersion: v1\n".utf8), source: "/etc/kubernetes/admin.conf")) { error in
            XCTAssertTrue("\(error)".contains("/etc/kubernetes/admin.conf"))
        }
    }
}

final class LockTests: XCTestCase {
    func testSecondWriterWaitsThenFailsWithClearMessage() throws {
        let dir = try TemporaryDirectory()
        var held: PKILock? = try PKILock.acquire(certificatesDir: dir.path, timeout: 0)
        XCTAssertNotNil(held)
        XCTAssertThrowsError(try PKILock.acquire(certificatesDir: dir.path, timeout: 0.2)) { error in
            XCTAssertTrue("\(error)".contains("--lock-timeout"), "\(error)")
        }
        held = nil
        XCTAssertNoThrow(try PKILock.acquire(certificatesDir: dir.path, timeout: 0))
    }
}
