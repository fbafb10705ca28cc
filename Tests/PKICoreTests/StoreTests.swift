import Foundation
import XCTest
@testable import PKICore

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

    /// Simulates each instant a crash can hit a pair write and checks recovery always ends with a matching pair.
    func testRecoveryCompletesOrDiscardsInterruptedPairWrites() throws {
        let dir = try TemporaryDirectory()
        let pki = PKIDirectory(root: dir.path)
        let (oldCert, oldKey) = try makePair()
        try pki.write(certificate: oldCert, key: oldKey, baseName: "apiserver")
        let (newCert, newKey) = try makePair()

        func stageKey() throws -> String {
            try AtomicFile.stage(try newKey.pem(), besides: pki.keyPath("apiserver"), mode: 0o600, suffix: PKIDirectory.pendingSuffix)
        }
        func stageCert() throws -> String {
            try AtomicFile.stage(try newCert.pem(), besides: pki.certificatePath("apiserver"), mode: 0o644, suffix: PKIDirectory.pendingSuffix)
        }
        func current() throws -> (Certificate, PrivateKey) {
            (try XCTUnwrap(pki.readCertificate("apiserver")), try XCTUnwrap(pki.readKey("apiserver")))
        }

        // Crash after staging the key only: nothing committed, the old pair stays.
        _ = try stageKey()
        XCTAssertEqual(try pki.completeInterruptedWrites(), [])
        var (cert, key) = try current()
        XCTAssertTrue(cert.isSameCertificate(as: oldCert) && key.matches(cert))

        // Crash after staging both: the commit record exists, roll forward.
        _ = try stageKey()
        _ = try stageCert()
        XCTAssertEqual(try pki.completeInterruptedWrites(), [pki.certificatePath("apiserver")])
        (cert, key) = try current()
        XCTAssertTrue(cert.isSameCertificate(as: newCert) && key.matches(cert))

        // Crash between the two renames: the new key is in place, the old certificate still is.
        try pki.write(certificate: oldCert, key: oldKey, baseName: "apiserver")
        try AtomicFile.commit(try stageKey(), to: pki.keyPath("apiserver"))
        let stagedCert = try stageCert()
        XCTAssertFalse(try XCTUnwrap(pki.readKey("apiserver")).matches(oldCert), "the torn state this test is about")
        XCTAssertTrue(FileManager.default.fileExists(atPath: stagedCert))
        try pki.completeInterruptedWrites()
        (cert, key) = try current()
        XCTAssertTrue(cert.isSameCertificate(as: newCert) && key.matches(cert))

        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["apiserver.crt", "apiserver.key"])
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
