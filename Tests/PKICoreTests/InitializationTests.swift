import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class InitializationTests: XCTestCase {
    func testInitCreatesTheWholeCatalogueAndReusesItOnRerun() async throws {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        let report = try await PKIInitialization(config: config).run(.all)
        XCTAssertEqual(report.created, ["ca", "apiserver", "apiserver-kubelet-client", "front-proxy-ca", "front-proxy-client",
                                        "etcd-ca", "etcd-server", "etcd-peer", "etcd-healthcheck-client", "apiserver-etcd-client",
                                        "sa", "admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"])
        let before = try dir.snapshot()
        XCTAssertEqual(before.count, 3 * 2 + 7 * 2 + 2 + 5)

        let again = try await PKIInitialization(config: config).run(.all)
        XCTAssertEqual(again.created, [])
        XCTAssertEqual(again.reused.count, report.created.count)
        XCTAssertEqual(try dir.snapshot(), before)

        let pki = PKIDirectory(root: config.certificatesDir)
        let ca = try XCTUnwrap(pki.readCertificate("ca"))
        let admin = try Kubeconfig.parse(try XCTUnwrap(PKIDirectory.read(dir.path + "/admin.conf")), source: "admin.conf")
        XCTAssertEqual(admin.certificateAuthority, try ca.pem())
        XCTAssertEqual(admin.contextName, "kubernetes-admin@kubernetes")
        let client = try Certificate(pem: XCTUnwrap(admin.clientCertificate), source: "admin")
        XCTAssertTrue(client.isIssued(by: ca))
        XCTAssertEqual(client.subject.description, "O=kubeadm:cluster-admins, CN=kubernetes-admin")
        XCTAssertEqual(client.notAfter.timeIntervalSince(client.notBefore), 8760 * 3600 + 300, accuracy: 1)
    }

    func testInitCARunsAloneAndInitCompletesAroundIt() async throws {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        let first = try await PKIInitialization(config: config).run(.authorities)
        XCTAssertEqual(first.created, ["ca", "front-proxy-ca", "etcd-ca", "sa"])
        let second = try await PKIInitialization(config: config).run(.all)
        XCTAssertEqual(second.reused, ["ca", "front-proxy-ca", "etcd-ca", "sa"])
        XCTAssertEqual(second.created.count, 7 + 5)
    }

    func testMismatchedKeyStopsInitBeforeAnyWrite() async throws {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config).run(.authorities)
        let pki = PKIDirectory(root: config.certificatesDir)
        try AtomicFile.write(try PrivateKey.generate(.ecdsaP256).pem(), to: pki.keyPath("front-proxy-ca"), mode: 0o600)
        let before = try dir.snapshot()
        await assertThrowsAsync({ try await PKIInitialization(config: config).run(.all) }) { error in
            XCTAssertEqual((error as? PKIError)?.code, .keyMismatch)
            XCTAssertTrue("\(error)".contains("front-proxy-ca.key"))
        }
        XCTAssertEqual(try dir.snapshot(), before)
    }

    func testExternalCAModeSignsNothingButAcceptsCompleteLeaves() async throws {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config).run(.authorities)
        let pki = PKIDirectory(root: config.certificatesDir)
        try FileManager.default.removeItem(atPath: pki.keyPath("ca"))
        let before = try dir.snapshot()
        await assertThrowsAsync({ try await PKIInitialization(config: config).run(.all) }) { error in
            XCTAssertEqual((error as? PKIError)?.code, .externalAuthority)
            XCTAssertTrue("\(error)".contains("external CA"))
        }
        XCTAssertEqual(try dir.snapshot(), before)

        // With every leaf and kubeconfig present, external CA mode is accepted as is.
        let full = try TemporaryDirectory()
        let fullConfig = try Fixtures.config(in: full.path)
        try await PKIInitialization(config: fullConfig).run(.all)
        try FileManager.default.removeItem(atPath: PKIDirectory(root: fullConfig.certificatesDir).keyPath("ca"))
        let rerun = try await PKIInitialization(config: fullConfig).run(.all)
        XCTAssertEqual(rerun.created, [])
    }

    func testLeafFromAnotherCAIsRefused() async throws {
        let dir = try TemporaryDirectory(), other = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path), otherConfig = try Fixtures.config(in: other.path)
        try await PKIInitialization(config: config).run(.all)
        try await PKIInitialization(config: otherConfig).run(.all)
        let source = PKIDirectory(root: otherConfig.certificatesDir), target = PKIDirectory(root: config.certificatesDir)
        try FileManager.default.removeItem(atPath: target.certificatePath("apiserver"))
        try FileManager.default.copyItem(atPath: source.certificatePath("apiserver"), toPath: target.certificatePath("apiserver"))
        try FileManager.default.removeItem(atPath: target.keyPath("apiserver"))
        try FileManager.default.copyItem(atPath: source.keyPath("apiserver"), toPath: target.keyPath("apiserver"))
        await assertThrowsAsync({ try await PKIInitialization(config: config).run(.all) }) { error in
            XCTAssertTrue("\(error)".contains("is not signed by"), "\(error)")
        }
    }

    func testKubeconfigWithAnotherServerIsRefused() async throws {
        let dir = try TemporaryDirectory()
        try await PKIInitialization(config: try Fixtures.config(in: dir.path)).run(.all)
        let moved = try Fixtures.config(in: dir.path, overrides: ConfigOverrides(controlPlaneEndpoint: "10.0.0.10:7443"))
        // apiserver.crt already covers 10.0.0.10, so the first refusal is admin.conf's server.
        await assertThrowsAsync({ try await PKIInitialization(config: moved).run(.all) }) { error in
            XCTAssertTrue("\(error)".contains("admin.conf") && "\(error)".contains("wrong API Server URL"), "\(error)")
        }
    }

    func testProgressLinesFollowKubeadm() async throws {
        let dir = try TemporaryDirectory()
        let lines = LineCollector()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config, log: ProgressLog(info: lines.append, warning: lines.append)).run(.all)
        let output = lines.all
        XCTAssertEqual(output.first, "[certs] Using certificateDir folder \"\(config.certificatesDir)\"")
        XCTAssertTrue(output.contains("[certs] etcd/server serving cert is signed for DNS names [localhost node1] and IPs [10.0.0.10 127.0.0.1 ::1]"))
        XCTAssertTrue(output.contains("[certs] Generating \"etcd/ca\" certificate and key"))
        XCTAssertEqual(output.last, "[kubeconfig] Writing \"scheduler.conf\" kubeconfig file")
    }
}

final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var append: @Sendable (String) -> Void {
        { [self] line in lock.withLock { lines.append(line) } }
    }

    var all: [String] { lock.withLock { lines } }
}
