import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class StoreTests: XCTestCase {
    private func mode(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    private func makePair(_ algorithm: KeyAlgorithm = .ecdsaP256) throws -> (IssuedCertificate, PrivateKey) {
        let key = try PrivateKey.generate(algorithm)
        return (try IssuedCertificate.selfSigned(try Fixtures.caTemplate(), key: key), key)
    }

    /// A missing file, or a path through a file, is nil (nothing there); a directory or an unreadable file is an
    /// error naming the path; a file larger than one read buffer, an empty one and one that reports no size come
    /// back whole, through symlinks.
    func testReadTellsNothingThereFromUnreadable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("read-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/big.pem", link = directory + "/link.pem"
        let bytes = Data((0..<200_000).map { UInt8($0 % 251) })
        try bytes.write(to: URL(fileURLWithPath: file))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        XCTAssertEqual(try PKIDirectory.read(file), bytes)
        XCTAssertEqual(try PKIDirectory.read(link), bytes)
        XCTAssertNil(try PKIDirectory.read(directory + "/missing.pem"))
        try Data().write(to: URL(fileURLWithPath: directory + "/empty.pem"))
        XCTAssertEqual(try PKIDirectory.read(directory + "/empty.pem"), Data())
        // A file that reports no size still comes back whole.
        let status = try XCTUnwrap(try PKIDirectory.read("/proc/self/status"))
        XCTAssertTrue(String(decoding: status, as: UTF8.self).hasSuffix("\n"))
        XCTAssertTrue(String(decoding: status, as: UTF8.self).contains("VmRSS:"))
        XCTAssertNil(try PKIDirectory.read(file + "/ca.crt"), "a path through a file holds nothing")
        XCTAssertThrowsError(try PKIDirectory.read(directory)) { error in
            XCTAssertEqual((error as? PKIError)?.message, "cannot read \(directory): Is a directory; check its permissions")
        }
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
            _ = try AtomicFile.stage(newCert.pem(), besides: certPath, mode: 0o644, suffix: PKIDirectory.pendingSuffix)
        }
        func moveAside() throws { XCTAssertEqual(rename(certPath, aside), 0) }
        func moveKeyIn() throws { try AtomicFile.commit(PKIDirectory.hiddenPath(keyPath, suffix: PKIDirectory.pendingSuffix), to: keyPath) }
        func moveCertIn() throws { try AtomicFile.commit(PKIDirectory.hiddenPath(certPath, suffix: PKIDirectory.pendingSuffix), to: certPath) }
        func assertPair(_ issued: IssuedCertificate, _ label: String, line: UInt = #line) throws {
            let expected = try issued.certificate()
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

    /// Recovery installs a staged certificate only beside its own key and only when a CA here issued it: a pair
    /// restored from a backup after a kill, or a planted file, is set aside (renamed, never deleted) and the pair in
    /// place is left alone.
    func testRecoverySetsAsideWhatDoesNotBelongWithTheKeyInPlace() throws {
        let dir = try TemporaryDirectory()
        let pki = PKIDirectory(root: dir.path)
        let now = Date(timeIntervalSince1970: 1_900_000_000)
        let authorityKey = try PrivateKey.generate(.ecdsaP256)
        let authority = try SigningAuthority(certificate: try IssuedCertificate.selfSigned(try Fixtures.caTemplate("ca"), key: authorityKey).certificate(),
                                             key: authorityKey, source: "ca.key")
        try pki.write(certificate: try IssuedCertificate.selfSigned(try Fixtures.caTemplate("ca"), key: authorityKey), key: authorityKey, baseName: "ca")
        func leaf(by signer: SigningAuthority) throws -> (IssuedCertificate, PrivateKey) {
            let key = try PrivateKey.generate(.ecdsaP256)
            return (try signer.issue(try Fixtures.leafTemplate(), for: key), key)
        }
        let (oldCert, oldKey) = try leaf(by: authority)
        let (newCert, newKey) = try leaf(by: authority)
        let certPath = pki.certificatePath("apiserver"), keyPath = pki.keyPath("apiserver")
        let stagedCert = PKIDirectory.hiddenPath(certPath, suffix: PKIDirectory.pendingSuffix)
        func placeOldPairByHand() throws {
            try oldCert.pem().write(to: URL(fileURLWithPath: certPath))
            try oldKey.pem().write(to: URL(fileURLWithPath: keyPath))
        }
        func assertOldPairAlone(_ context: String, line: UInt = #line) throws {
            let recoveries = try pki.completeInterruptedWrites(now: now)
            XCTAssertEqual(recoveries.count, 1, context, line: line)
            guard case .setAside(let path, _, let kept)? = recoveries.first else { return XCTFail("\(recoveries)", line: line) }
            XCTAssertEqual(path, certPath, line: line)
            XCTAssertEqual(kept, [dir.path + "/.apiserver.crt.rejected-1900000000"], line: line)
            XCTAssertTrue(try XCTUnwrap(pki.readCertificate("apiserver")).isSameCertificate(as: try oldCert.certificate()), context, line: line)
            XCTAssertTrue(try XCTUnwrap(pki.readKey("apiserver")).matches(try oldCert.certificate()), context, line: line)
            XCTAssertTrue(FileManager.default.fileExists(atPath: kept[0]), "set aside, not deleted", line: line)
            try FileManager.default.removeItem(atPath: kept[0])
        }

        // Killed after the new key moved in, then the operator restored the old pair from the backup.
        try placeOldPairByHand()
        _ = try AtomicFile.stage(newCert.pem(), besides: certPath, mode: 0o644, suffix: PKIDirectory.pendingSuffix)
        try assertOldPairAlone("restored pair")

        // A planted staged certificate for another key.
        _ = try AtomicFile.stage(newCert.pem(), besides: certPath, mode: 0o644, suffix: PKIDirectory.pendingSuffix)
        try assertOldPairAlone("planted for another key")

        // A planted certificate for the key in place, issued by a CA that is not here.
        let strangerKey = try PrivateKey.generate(.ecdsaP256)
        let stranger = try SigningAuthority(certificate: try IssuedCertificate.selfSigned(try Fixtures.caTemplate("stranger"), key: strangerKey).certificate(),
                                            key: strangerKey, source: "stranger")
        _ = try AtomicFile.stage(try stranger.issue(try Fixtures.leafTemplate(), for: oldKey).pem(),
                                 besides: certPath, mode: 0o644, suffix: PKIDirectory.pendingSuffix)
        try assertOldPairAlone("planted from another CA")

        // The genuine case still completes: staged key and certificate that belong together.
        _ = try AtomicFile.stage(try newKey.pem(), besides: keyPath, mode: 0o600, suffix: PKIDirectory.pendingSuffix)
        _ = try AtomicFile.stage(newCert.pem(), besides: certPath, mode: 0o644, suffix: PKIDirectory.pendingSuffix)
        XCTAssertEqual(try pki.completeInterruptedWrites(now: now), [.completed(certPath)])
        XCTAssertTrue(try XCTUnwrap(pki.readCertificate("apiserver")).isSameCertificate(as: try newCert.certificate()))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stagedCert))
    }

    /// A failed write names the file being written, never the hidden file it is staged in; the directory check
    /// leaves nothing behind.
    func testWriteErrorsNameTheTargetAndChecksLeaveNoTrace() throws {
        do {
            try AtomicFile.write(Data("x".utf8), to: "/nonexistent-pkictl/apiserver.crt", mode: 0o644)
            XCTFail("wrote into a missing directory")
        } catch let error as PKIError {
            XCTAssertTrue(error.message.hasPrefix("cannot write /nonexistent-pkictl/apiserver.crt: "), error.message)
            XCTAssertFalse(error.message.contains(".tmp-"), error.message)
        }
        let dir = try TemporaryDirectory()
        try AtomicFile.checkWritableDirectory(dir.path + "/not/yet")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "no probe, not even for an instant's kill to leave")
        XCTAssertThrowsError(try AtomicFile.checkWritableDirectory("/proc/pkictl")) { error in
            XCTAssertEqual((error as? PKIError)?.code, .notWritable, "\(error)")
        }
    }

    func testKubeconfigValuesThatNeedQuotingSurviveARoundTrip() throws {
        let kubeconfig = Kubeconfig(clusterName: "prod #1: eu", server: "https://[fd00::1]:6443", certificateAuthority: Data("CA".utf8),
                                    userName: "true", clientCertificate: Data("CERT".utf8), clientKey: Data("KEY".utf8))
        let parsed = try Kubeconfig.parse(try kubeconfig.rendered(), source: "k")
        XCTAssertEqual(parsed, kubeconfig)
        XCTAssertEqual(parsed.contextName, "true@prod #1: eu")
    }

    func testKubeletConfWithFileCredentialsParses() throws {
        let text = """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: Q0E=
                server: https://10.0.0.10:6443
              name: default-cluster
            contexts:
            - context:
                cluster: default-cluster
                namespace: default
                user: default-auth
              name: default-context
            current-context: default-context
            kind: Config
            preferences: {}
            users:
            - name: default-auth
              user:
                client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
                client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
            """
        let parsed = try Kubeconfig.parse(Data(text.utf8), source: "kubelet.conf")
        XCTAssertEqual(parsed.credentials, .files(certificate: "/var/lib/kubelet/pki/kubelet-client-current.pem",
                                                  key: "/var/lib/kubelet/pki/kubelet-client-current.pem"))
        XCTAssertEqual(parsed.userName, "default-auth")
        XCTAssertThrowsError(try Kubeconfig.updatingCredentials(Data(text.utf8), source: "kubelet.conf", certificateAuthority: Data(),
                                                                clientCertificate: Data(), clientKey: Data())) { error in
            XCTAssertEqual((error as? PKIError)?.code, .notManaged)
        }
    }

    func testKubeconfigRendersKubeadmLayoutAndParsesBack() throws {
        let kubeconfig = Kubeconfig(clusterName: "kubernetes", server: "https://10.0.0.10:6443",
                                    certificateAuthority: Data("CA".utf8), userName: "kubernetes-admin",
                                    clientCertificate: Data("CERT".utf8), clientKey: Data("KEY".utf8))
        let text = String(decoding: try kubeconfig.rendered(), as: UTF8.self)
        // client-go's layout, byte for byte.
        XCTAssertEqual(text, """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: Q0E=
                server: https://10.0.0.10:6443
              name: kubernetes
            contexts:
            - context:
                cluster: kubernetes
                user: kubernetes-admin
              name: kubernetes-admin@kubernetes
            current-context: kubernetes-admin@kubernetes
            kind: Config
            preferences: {}
            users:
            - name: kubernetes-admin
              user:
                client-certificate-data: Q0VSVA==
                client-key-data: S0VZ

            """)
        XCTAssertEqual(try Kubeconfig.parse(kubeconfig.rendered(), source: "admin.conf"), kubeconfig)
        XCTAssertThrowsError(try Kubeconfig.parse(Data("apiVersion: v1\n".utf8), source: "/etc/kubernetes/admin.conf")) { error in
            XCTAssertTrue("\(error)".contains("/etc/kubernetes/admin.conf"))
        }
    }
}

final class LockTests: XCTestCase {
    /// The wait is on the injected clock: the test moves it past the timeout instead of sleeping.
    func testSecondWriterWaitsThenFailsWithClearMessage() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path
        let clock = ManualWallClock()
        var held: PKILock? = try await PKILock.acquire(certificatesDir: path, timeout: 0, clock: clock)
        XCTAssertNotNil(held)
        let second = Task { try await PKILock.acquire(certificatesDir: path, timeout: 60, clock: clock) }
        await clock.waitForSleepers()
        clock.advance(seconds: 59)
        await clock.waitForSleepers()
        clock.advance(seconds: 2)
        await assertThrowsAsync({ try await second.value }) { error in
            XCTAssertEqual((error as? PKIError)?.code, .lockTimeout)
            XCTAssertTrue("\(error)".contains("--lock-timeout"), "\(error)")
        }

        // A writer that is still waiting when the holder finishes gets the lock at its next try.
        let third = Task { try await PKILock.acquire(certificatesDir: path, timeout: 60, clock: clock) }
        await clock.waitForSleepers()
        held = nil
        clock.advance(seconds: 1)
        let acquired = try await third.value
        XCTAssertNotNil(acquired)
        XCTAssertNil(held)
    }
}
